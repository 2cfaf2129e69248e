#!/usr/bin/env node
// webhook-receiver — a provisioning webhook receiver on 127.0.0.1 for the
// webhook adapter's tests (src/chan/provisioning/webhook.h).
//
//   WEBHOOK_SECRET=... node tests/peers/webhook-receiver.js --out FILE
//       [--port N] [--secret-env VAR] [--tolerance-s S] [--slow-ms MS]
//
// Listens on --port (default 0: one the system chooses) and prints the
// port as the first line of standard output. The secret is read from the
// environment variable VAR (default WEBHOOK_SECRET), never from argv.
// Appends one JSON line to FILE per request, before answering: {n, method,
// url, headers, body, signature: "ok" | "bad" | "stale" | "missing",
// service_id, level, reason, idempotency_key, status}.
//
// Answers:
//   401 {"error": ...}    the Relance-Signature header is missing, does not
//                         match HMAC-SHA256(secret, "<t>.<body>") (compared in
//                         constant time), or t is more than --tolerance-s
//                         (default 300) away from the clock;
//   400                   the body is not a JSON object with service_id, level
//                         and idempotency_key, or Idempotency-Key differs from it;
//   then by the service_id's prefix:
//   "fail2-"   503 to the first two requests of a key, then as below;
//   "bad-"     400 {"error": "unknown service"};
//   "errbody-" 200 {"status": "error", "error": "service is locked by an agent"};
//   "slow-"    the answer below, after --slow-ms (default 3000) milliseconds;
//   otherwise  200 {"status": "applied", "service_id", "level", "applied_at"},
//              or, for a key already applied, 200 {"status": "already_applied",
//              "service_id", "level"} (applied once, whatever the repeats).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');

let out = null;
let port = 0;
let secretEnv = 'WEBHOOK_SECRET';
let toleranceS = 300;
let slowMs = 3000;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--out') out = argv[++i];
	else if (argv[i] === '--port') port = Number(argv[++i]);
	else if (argv[i] === '--secret-env') secretEnv = argv[++i];
	else if (argv[i] === '--tolerance-s') toleranceS = Number(argv[++i]);
	else if (argv[i] === '--slow-ms') slowMs = Number(argv[++i]);
	else { console.error(`webhook-receiver: unknown argument ${argv[i]}`); process.exit(2); }
}
if (!out) { console.error('webhook-receiver: --out FILE is required'); process.exit(2); }
const secret = process.env[secretEnv];
if (!secret) { console.error(`webhook-receiver: ${secretEnv} is not set`); process.exit(2); }

let count = 0;
const applied = new Map();   // idempotency key -> level applied
const seen = new Map();      // idempotency key -> requests received

// "ok", "bad", "stale" or "missing" for the header over the raw body.
function verify(header, raw) {
	if (!header) return 'missing';
	const parts = header.split(',');
	const t = parts[0].startsWith('t=') ? parts[0].slice(2) : '';
	if (!/^-?[0-9]{1,18}$/.test(t)) return 'bad';
	const want = crypto.createHmac('sha256', secret).update(`${t}.`).update(raw).digest();
	const ok = parts.slice(1).some((p) => {
		if (!p.startsWith('v1=') || !/^[0-9a-f]{64}$/.test(p.slice(3))) return false;
		return crypto.timingSafeEqual(Buffer.from(p.slice(3), 'hex'), want);
	});
	if (!ok) return 'bad';
	if (Math.abs(Math.floor(Date.now() / 1000) - Number(t)) > toleranceS) return 'stale';
	return 'ok';
}

function answer(res, status, obj) {
	const body = JSON.stringify(obj);
	if (res.destroyed) return;
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const n = ++count;
		const raw = Buffer.concat(chunks);
		const signature = verify(req.headers['relance-signature'], raw);
		let json = null;
		try { json = JSON.parse(raw.toString('utf8')); } catch (e) { json = null; }
		const j = json && typeof json === 'object' && !Array.isArray(json) ? json : {};
		const key = j.idempotency_key;
		let status = 200;
		let reply;

		if (signature !== 'ok') {
			status = 401;
			reply = { error: `signature ${signature}` };
		} else if (!json || typeof j.service_id !== 'string' || typeof j.level !== 'string' ||
			   typeof key !== 'string' || req.headers['idempotency-key'] !== key) {
			status = 400;
			reply = { error: 'malformed request' };
		} else {
			const tries = (seen.get(key) || 0) + 1;
			seen.set(key, tries);
			const sid = j.service_id;
			if (sid.startsWith('fail2-') && tries <= 2) {
				status = 503;
				reply = { error: 'temporarily unavailable' };
			} else if (sid.startsWith('bad-')) {
				status = 400;
				reply = { error: 'unknown service' };
			} else if (sid.startsWith('errbody-')) {
				reply = { status: 'error', error: 'service is locked by an agent' };
			} else if (applied.has(key)) {
				reply = { status: 'already_applied', service_id: sid, level: applied.get(key) };
			} else {
				applied.set(key, j.level);
				reply = { status: 'applied', service_id: sid, level: j.level, applied_at: new Date().toISOString() };
			}
		}
		fs.appendFileSync(out, JSON.stringify({
			n, method: req.method, url: req.url, headers: req.headers, body: raw.toString('utf8'),
			signature, service_id: j.service_id, level: j.level, reason: j.reason,
			idempotency_key: key, status,
		}) + '\n');
		if (status !== 401 && typeof j.service_id === 'string' && j.service_id.startsWith('slow-')) {
			setTimeout(() => answer(res, status, reply), slowMs);
			return;
		}
		answer(res, status, reply);
	});
});

server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
