/**
 * The config.yaml that `junction init` writes: a small working setup with a comment on each part,
 * in the Crossbar format so it also reads as documentation of that format.
 */

import { websocketDefaults } from './schema-websocket.js';

export const starterConfigYaml = `# Junction configuration (Crossbar.io format: a Crossbar config.json / config.yaml works too).
# Check it with:  junction check --config <this file>
# For editor completion, add a first line:  # yaml-language-server: $schema=<file written by 'junction schema'>
version: 2

workers:
  # The router: realms (separate routing domains) and the transports clients connect to.
  - type: router

    realms:
      # Clients name a realm when they connect; sessions in different realms never see each other.
      - name: realm1
        # strict: URI components only a-z, 0-9 and "_" (com.example.on_hello). Without this line a
        # realm is loose, as in Crossbar: any character but whitespace, "." and "#".
        options:
          uri_check: strict
        roles:
          # Every session has a role; permissions are per role and realm.
          - name: anonymous
            permissions:
              # "*" covers every URI (a trailing star = prefix match). Fine for development;
              # narrow it for production, e.g. "com.example.*".
              - uri: "*"
                allow:
                  call: true
                  register: true
                  publish: true
                  subscribe: true
                # Let callees/subscribers see who called/published.
                disclose:
                  caller: false
                  publisher: false
                # Authorization answers for this rule may be cached.
                cache: true

          # A role for trusted backends, reached with a ticket (see auth below).
          - name: backend
            permissions:
              - uri: "*"
                allow: { call: true, register: true, publish: true, subscribe: true }

          # The role of HTTP requests to /publish and /call (the HTTP bridge, below): whoever can
          # reach those paths may publish and call as this role, with no credentials. They listen
          # on 127.0.0.1 only, so that is your own machine's software; before listening on other
          # interfaces, narrow these rules or protect the paths (docs/http-bridge.md: signed
          # requests, require_ip).
          - name: http
            permissions:
              - uri: "*"
                allow: { call: true, register: false, publish: true, subscribe: false }

    transports:
      # One HTTP server; each path under "paths" is a service: ws://127.0.0.1:8080/ws for WAMP
      # clients, and the same HTTP paths as \`junction start\` without a config.
      - type: web
        endpoint:
          type: tcp
          interface: 127.0.0.1   # remove to listen on all interfaces
          port: 8080
        # Reached by a DNS name (behind nginx, say): list the names browsers use, or the console
        # answers 421 (docs/configuration.md, "Allowed hosts"); trust the proxy's X-Forwarded-For.
        # options: {allowed_hosts: [wamp.example.com], trusted_proxies: ["127.0.0.1"]}
        paths:
          # The bare port leads a browser to the console (below).
          /:
            type: redirect
            url: /console
          ws:
            type: websocket
            # WAMP serializers offered to clients.
            serializers: [json, msgpack, cbor]
            options:
              max_message_size: ${websocketDefaults.maxMessageSize}     # bytes
              auto_ping_interval: ${websocketDefaults.autoPingInterval}     # ms; 0 = no pings
              auto_ping_timeout: ${websocketDefaults.autoPingTimeout}      # ms
            auth:
              # Clients without credentials join with this role.
              anonymous:
                type: static
                role: anonymous
              # Clients with a ticket join as their principal's role. The ticket is read from
              # the environment, so the secret stays out of this file.
              # ticket:
              #   type: static
              #   principals:
              #     backend-1:
              #       ticket: "\${BACKEND_TICKET}"
              #       role: backend

          # curl -H 'Content-Type: application/json' -d '{"topic": "chat.room1", "args": ["hi"]}' \\
          #      http://127.0.0.1:8080/publish     -> {"id": ...}; every subscriber gets ["hi"]
          publish:
            type: publisher
            realm: realm1
            role: http
          # POST {"procedure": "com.example.add", "args": [2, 3]} -> {"args": [5]}
          call:
            type: caller
            realm: realm1
            role: http
          # WAMP over HTTP long-poll, for networks that break WebSocket.
          lp:
            type: longpoll
          # Server-Sent Events of chosen topics, signed in as role anonymous (docs/sse.md):
          #   curl -N 'http://127.0.0.1:8080/sse?topic=chat.room1'
          sse:
            type: sse
            realm: realm1
          # 200 while serving, 503 while starting or stopping: for load balancers and health checks.
          health:
            type: health
          # Prometheus metrics (docs/metrics.md).
          metrics:
            type: metrics
          # Version, uptime, realms with their client session counts, transports.
          info:
            type: nodeinfo
          # The web console at http://127.0.0.1:8080/console (docs/console.md). Anyone who reaches
          # the port signs in as role anonymous (a warning at start-up says so); before listening
          # on other interfaces, give it a ticket instead:
          #   auth: {ticket: {type: static, principals: {ops: {ticket: "\${OPS_TICKET}", role: backend}}}}
          console:
            type: console
            realm: realm1
            auth:
              anonymous:
                type: static
                role: anonymous
`;
