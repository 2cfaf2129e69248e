#!/usr/bin/env node
// smtp-sink — an SMTP server on 127.0.0.1 for the SMTP adapter's tests.
//
//   node tests/peers/smtp-sink.js --out FILE [options]
//
// Listens on a port chosen by the system and prints it as the first line of
// standard output. Appends one JSON line to FILE per message accepted (or
// received and then dropped): {n, session, secure, user, from, to, raw,
// outcome}. The line is written before the reply is sent, so a client that
// has its answer can read the file at once.
//
//   --starttls CERT KEY   offer STARTTLS with this certificate (PEM files)
//   --tls CERT KEY        TLS from the first byte (smtps://) instead
//   --auth USER:PASS      require AUTH with these credentials
//   --reject-550 RE       recipients matching RE get "550 5.1.1 no such user"
//   --reject-450 RE       recipients matching RE get "450 4.2.1 mailbox busy"
//   --refuse-data RE      a message to a recipient matching RE is read whole,
//                         then answered "554 5.7.1 message refused"
//   --defer-data RE       likewise with "451 4.3.0 try again later"
//   --drop RE             a message to a recipient matching RE is read whole,
//                         then the connection is closed with no reply
//   --verbose             print the server's errors on standard error
//   --silent RE           likewise, but the connection is kept open, unanswered
'use strict';

const fs = require('fs');
const { SMTPServer } = require('smtp-server');

const opt = { starttls: null, tls: false, refuseData: null, deferData: null, auth: null, reject550: null, reject450: null, drop: null, silent: null, out: null };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	if (a === '--out') opt.out = argv[++i];
	else if (a === '--starttls') { opt.starttls = { cert: fs.readFileSync(argv[++i]), key: fs.readFileSync(argv[++i]) }; }
	else if (a === '--tls') { opt.starttls = { cert: fs.readFileSync(argv[++i]), key: fs.readFileSync(argv[++i]) }; opt.tls = true; }
	else if (a === '--refuse-data') opt.refuseData = new RegExp(argv[++i]);
	else if (a === '--defer-data') opt.deferData = new RegExp(argv[++i]);
	else if (a === '--auth') opt.auth = argv[++i];
	else if (a === '--verbose') opt.verbose = true;
	else if (a === '--reject-550') opt.reject550 = new RegExp(argv[++i]);
	else if (a === '--reject-450') opt.reject450 = new RegExp(argv[++i]);
	else if (a === '--drop') opt.drop = new RegExp(argv[++i]);
	else if (a === '--silent') opt.silent = new RegExp(argv[++i]);
	else { console.error(`smtp-sink: unknown argument ${a}`); process.exit(2); }
}
if (!opt.out) { console.error('smtp-sink: --out FILE is required'); process.exit(2); }

let count = 0;
const disabled = [];
if (!opt.starttls || opt.tls) disabled.push('STARTTLS');
if (!opt.auth) disabled.push('AUTH');

function record(session, raw, outcome) {
	count++;
	const line = {
		n: count,
		session: session.id,
		secure: !!session.secure,
		user: session.user || null,
		from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
		to: session.envelope.rcptTo.map((r) => r.address),
		raw: raw.toString('utf8'),
		outcome,
	};
	fs.appendFileSync(opt.out, JSON.stringify(line) + '\n');
	return count;
}

const server = new SMTPServer({
	logger: false,
	banner: 'relance test sink',
	disabledCommands: disabled,
	authOptional: !opt.auth,
	allowInsecureAuth: true,
	size: 10 * 1024 * 1024,
	secure: opt.tls,
	...(opt.starttls ? { key: opt.starttls.key, cert: opt.starttls.cert } : {}),
	onAuth(auth, session, cb) {
		if (`${auth.username}:${auth.password}` === opt.auth)
			return cb(null, { user: auth.username });
		const err = new Error('5.7.8 authentication failed');
		err.responseCode = 535;
		return cb(err);
	},
	onRcptTo(address, session, cb) {
		const to = address.address;
		let err = null;
		if (opt.reject550 && opt.reject550.test(to)) {
			err = new Error('5.1.1 no such user');
			err.responseCode = 550;
		} else if (opt.reject450 && opt.reject450.test(to)) {
			err = new Error('4.2.1 mailbox busy');
			err.responseCode = 450;
		}
		cb(err);
	},
	onData(stream, session, cb) {
		const chunks = [];
		stream.on('data', (c) => chunks.push(c));
		stream.on('end', () => {
			const raw = Buffer.concat(chunks);
			const to = session.envelope.rcptTo.map((r) => r.address).join(' ');
			if (opt.drop && opt.drop.test(to)) {
				record(session, raw, 'dropped');
				for (const c of server.connections)
					if (c.id === session.id && c._socket) c._socket.destroy();
				return;
			}
			for (const [re, code, text] of [[opt.refuseData, 554, '5.7.1 message refused'],
				[opt.deferData, 451, '4.3.0 try again later']]) {
				if (re && re.test(to)) {
					record(session, raw, `answered ${code}`);
					const err = new Error(text);
					err.responseCode = code;
					return cb(err);
				}
			}
			if (opt.silent && opt.silent.test(to)) {
				record(session, raw, 'unanswered');
				return;
			}
			const n = record(session, raw, 'accepted');
			cb(null, `2.0.0 Ok: queued as Q${String(n).padStart(6, '0')}`);
		});
	},
});

// Client-side failures (a TLS handshake a test makes fail on purpose) are
// expected here: printed only with --verbose.
server.on('error', (err) => { if (opt.verbose) console.error(`smtp-sink: ${err.message}`); });
server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`${server.server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
