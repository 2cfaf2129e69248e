// Loaded with `node -r` before a test peer by bench/run: every connection the
// peer accepts gets TCP_NODELAY, as relance's own sockets have. Without it
// the peer's small answers wait on Nagle's algorithm for the client's
// delayed acknowledgement, some 40 ms a window of submit_sm, and the
// figures would measure that wait rather than either side's work.
'use strict';

const net = require('net');
const emit = net.Server.prototype.emit;

net.Server.prototype.emit = function (event, socket, ...rest) {
	if (event === 'connection' && socket && typeof socket.setNoDelay === 'function')
		socket.setNoDelay(true);
	return emit.call(this, event, socket, ...rest);
};
