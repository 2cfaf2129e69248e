#!/usr/bin/env node
// A test SMSC on 127.0.0.1 for the SMPP client's tests, built on the npm
// `smpp` server.
//
//   node tests/peers/smsc.js --log FILE [--port N] [--system-id ID] [--password PW]
//        [--no-receipts] [--delay-ms D] [--throttle-first N] [--throttle-every K]
//        [--close-after N] [--max-binds N] [--bad-length] [--unknown-command]
//        [--unknown-receipt] [--enquire-link] [--unbind-after N] [--close-idle-ms MS]
//
// Prints the port it listens on as the first line of stdout. Appends one JSON
// line per submit_sm to FILE, written before the answer leaves, so a test
// that has its answer can count lines exactly:
//   {"sequence", "destination", "data_coding", "esm_class", "registered_delivery",
//    "short_message" (hex), "status", "message_id" (null when not accepted or
//    not answered), "inflight" (submits received and not yet answered, this
//    one included)}
// and one line {"generic_nack": status, "sequence": n} per generic_nack it
// receives, {"enquire_link_resp": n} and {"unbind_resp": n} likewise. Exits when stdin closes, so it never outlives its test.
//
// Answers: destinations ending in 9999 get ESME_RINVDSTADR; the others are
// accepted with a unique message id and followed by a delivery receipt
// (stat UNDELIV for destinations ending in 0000, DELIVRD otherwise).
// Misbehaviour on request:
//   --throttle-first N   ESME_RTHROTTLED for the first N submits
//   --throttle-every K   ESME_RTHROTTLED for every Kth submit
//   --close-after N      the Nth submit is logged, not answered, and the
//                        connection is closed
//   --max-binds N        binds after the Nth are refused (ESME_RBINDFAIL)
//   --bad-length         right after the first bind_transceiver_resp (in the
//                        same write), a PDU whose command_length is 8
//   --unknown-command    after each bind, a PDU with command_id 0x00000777
//   --unknown-receipt    after each bind, a receipt for id "nosuchid"
//   --delay-ms D         answer each submit D ms after it arrives
//   --enquire-link       after each bind, an enquire_link
//   --close-idle-ms MS   close a connection MS ms after its last submit
//   --unbind-after N     an unbind right after the Nth submit_sm_resp (in
//                        the same write), on the first connection only
'use strict';

const fs = require('fs');
const path = require('path');
const smpp = require(path.join(__dirname, '..', '..', 'node_modules', 'smpp'));

const opt = {
	port: 0, systemId: 'relance', password: 'secret', log: null, receipts: true,
	delayMs: 0, throttleFirst: 0, throttleEvery: 0, closeAfter: 0, maxBinds: -1,
	badLength: false, unknownCommand: false, unknownReceipt: false, enquireLink: false,
	unbindAfter: 0, closeIdleMs: 0,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i], v = () => argv[++i];
	switch (a) {
	case '--port': opt.port = Number(v()); break;
	case '--system-id': opt.systemId = v(); break;
	case '--password': opt.password = v(); break;
	case '--log': opt.log = v(); break;
	case '--no-receipts': opt.receipts = false; break;
	case '--delay-ms': opt.delayMs = Number(v()); break;
	case '--throttle-first': opt.throttleFirst = Number(v()); break;
	case '--throttle-every': opt.throttleEvery = Number(v()); break;
	case '--close-after': opt.closeAfter = Number(v()); break;
	case '--max-binds': opt.maxBinds = Number(v()); break;
	case '--bad-length': opt.badLength = true; break;
	case '--unknown-command': opt.unknownCommand = true; break;
	case '--unknown-receipt': opt.unknownReceipt = true; break;
	case '--enquire-link': opt.enquireLink = true; break;
	case '--unbind-after': opt.unbindAfter = Number(v()); break;
	case '--close-idle-ms': opt.closeIdleMs = Number(v()); break;
	default: console.error(`smsc: unknown argument ${a}`); process.exit(2);
	}
}
if (!opt.log) {
	console.error('smsc: --log FILE is required');
	process.exit(2);
}

// Keep short_message as the raw octets the client sent: the tests compare
// them (UDH included) rather than a decoded text.
delete smpp.commands.submit_sm.params.short_message.filter;

const record = (obj) => fs.appendFileSync(opt.log, JSON.stringify(obj) + '\n');
let submits = 0, binds = 0, nextId = 1;

// A header-only PDU written as raw octets, for what the library refuses to build.
function rawHeader(length, commandId, seq) {
	const b = Buffer.alloc(16);
	b.writeUInt32BE(length, 0);
	b.writeUInt32BE(commandId, 4);
	b.writeUInt32BE(0, 8);
	b.writeUInt32BE(seq, 12);
	return b;
}

function yymmddhhmm(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
		p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function sendReceipt(session, id, dest, stat) {
	const now = yymmddhhmm(new Date());
	const text = `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} ` +
		`submit date:${now} done date:${now} stat:${stat} err:${stat === 'DELIVRD' ? '000' : '001'} text:`;
	session.deliver_sm({
		source_addr: dest, destination_addr: 'RELANCE', esm_class: 4, data_coding: 0,
		short_message: Buffer.from(text, 'ascii'),
	});
}

const server = smpp.createServer((session) => {
	let inflight = 0, closed = false, idle = null;
	const idleAgain = () => {
		if (!opt.closeIdleMs)
			return;
		clearTimeout(idle);
		idle = setTimeout(() => { closed = true; session.destroy(); }, opt.closeIdleMs);
	};
	session.socket.on('close', () => clearTimeout(idle));
	session.on('error', () => session.destroy());
	session.on('bind_transceiver', (pdu) => {
		binds++;
		let status = 0;
		if (pdu.system_id !== opt.systemId || pdu.password !== opt.password)
			status = smpp.ESME_RINVPASWD;
		else if (opt.maxBinds >= 0 && binds > opt.maxBinds)
			status = smpp.ESME_RBINDFAIL;
		const resp = pdu.response({ command_status: status, system_id: 'smsc' });
		if (status) {
			session.send(resp);
			session.close();
			return;
		}
		if (opt.badLength && binds === 1) {
			// One write, so the client reads both together and never
			// submits on this connection.
			session.socket.write(Buffer.concat([resp.toBuffer(), rawHeader(8, 0x15, 99)]));
			return;
		}
		session.send(resp);
		if (opt.unknownCommand)
			session.socket.write(rawHeader(16, 0x00000777, 4242));
		if (opt.unknownReceipt)
			sendReceipt(session, 'nosuchid', '255700000001', 'DELIVRD');
		if (opt.enquireLink)
			session.enquire_link({}, (r) => record({ enquire_link_resp: r.sequence_number }));
	});
	session.on('unbind_resp', (pdu) => {
		record({ unbind_resp: pdu.sequence_number });
		session.close();
	});
	session.on('generic_nack', (pdu) => {
		record({ generic_nack: pdu.command_status, sequence: pdu.sequence_number });
	});
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		session.send(pdu.response());
		session.close();
	});
	session.on('submit_sm', (pdu) => {
		// The library goes on parsing what it had already read after a
		// destroy: what came after the close never reached this SMSC.
		if (closed)
			return;
		idleAgain();
		submits++;
		inflight++;
		const dest = pdu.destination_addr;
		const line = {
			sequence: pdu.sequence_number, destination: dest, data_coding: pdu.data_coding,
			esm_class: pdu.esm_class, registered_delivery: pdu.registered_delivery,
			short_message: Buffer.from(pdu.short_message).toString('hex'),
			status: 0, message_id: null, inflight,
		};
		if (opt.closeAfter && submits === opt.closeAfter) {
			line.status = null;
			record(line);
			closed = true;
			session.destroy();
			return;
		}
		if ((opt.throttleFirst && submits <= opt.throttleFirst) ||
		    (opt.throttleEvery && submits % opt.throttleEvery === 0))
			line.status = smpp.ESME_RTHROTTLED;
		else if (dest.endsWith('9999'))
			line.status = smpp.ESME_RINVDSTADR;
		else
			line.message_id = 'm' + String(nextId++).padStart(6, '0');
		const answer = () => {
			inflight--;
			record(line);
			if (line.status) {
				session.send(pdu.response({ command_status: line.status }));
				return;
			}
			const resp = pdu.response({ message_id: line.message_id });
			if (opt.unbindAfter && submits === opt.unbindAfter && binds === 1) {
				// One write: the client reads the answer and the unbind
				// together, before it can submit again.
				session.socket.write(Buffer.concat([resp.toBuffer(),
					new smpp.PDU('unbind', { sequence_number: 7777 }).toBuffer()]));
				return;
			}
			session.send(resp);
			if (opt.receipts && pdu.registered_delivery)
				sendReceipt(session, line.message_id, dest, dest.endsWith('0000') ? 'UNDELIV' : 'DELIVRD');
		};
		if (opt.delayMs)
			setTimeout(answer, opt.delayMs);
		else
			answer();
	});
});

server.listen(opt.port, '127.0.0.1', () => {
	process.stdout.write(server.address().port + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
