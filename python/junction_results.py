"""Every call of a procedure of a component Junction hosts is answered, whatever it returns.

Crossbar runs router components in its own process, so a result reaches the router as the Python
object it is: an authenticator may return autobahn.wamp.types.Deny, and Crossbar reads it as a
refusal. Junction's components reach the router over a socket, where every result is serialized,
and Autobahn's Twisted RawSocket lets the serializer's error for an object it cannot write escape
(its WebSocket turns such an error into a SerializationError, which Autobahn answers with
wamp.error.invalid_payload): the call stayed unanswered for ever. So a Deny result is sent as the
ERROR it means (its reason and message), and any other result that cannot be written is answered
wamp.error.invalid_payload, on every transport.
"""


def answer_every_result():
    from autobahn.wamp import message, serializer
    from autobahn.wamp.exception import SerializationError
    from autobahn.wamp.types import Deny

    written = serializer.Serializer.serialize

    def serialize(self, msg):
        if isinstance(msg, message.Yield) and msg.args and len(msg.args) == 1 and isinstance(msg.args[0], Deny):
            deny = msg.args[0]
            msg = message.Error(message.Invocation.MESSAGE_TYPE, msg.request, deny.reason,
                                args=[deny.message] if deny.message is not None else None)
        try:
            return written(self, msg)
        except SerializationError:
            raise
        except Exception as error:  # the serializer's own (TypeError, ValueError, OverflowError...)
            raise SerializationError('%s: %s' % (type(error).__name__, error))

    serializer.Serializer.serialize = serialize
