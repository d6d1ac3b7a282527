import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { childSettings, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * Socket.IO doing the same work: rooms for topics (io.to(topic).emit encodes a broadcast once),
 * and acknowledgements for publish confirmation and for routing a call to the callee and its
 * reply back to the caller. Websocket transport only, as the bench clients connect directly.
 */

childSettings();
const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, maxHttpBufferSize: 8 * 1024 * 1024 });
const calleeByProcedure = new Map(); // procedure -> socket

io.on('connection', (socket) => {
  socket.on('sub', (topic, ack) => {
    socket.join(topic);
    ack();
  });
  socket.on('pub', (topic, args, ack) => {
    io.to(topic).emit('ev', args);
    ack();
  });
  socket.on('reg', (procedure, ack) => {
    calleeByProcedure.set(procedure, socket);
    ack();
  });
  socket.on('call', (procedure, args, ack) => {
    const callee = calleeByProcedure.get(procedure);
    if (!callee) return ack(null);
    callee.emit('inv', args, (result) => ack(result));
  });
  socket.on('disconnect', () => {
    for (const [procedure, callee] of calleeByProcedure) if (callee === socket) calleeByProcedure.delete(procedure);
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  tell({ type: 'listening', url: `ws://127.0.0.1:${httpServer.address().port}/socket.io/?EIO=4&transport=websocket` });
});

onParent('close', () => process.exit(0));
