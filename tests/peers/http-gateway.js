#!/usr/bin/env node
// http-gateway — an HTTP SMS gateway on 127.0.0.1 for the sms_http adapter's
// tests.
//
//   node tests/peers/http-gateway.js --out FILE [--fail-first N] [--slow-first N] [--sleep-ms MS]
//
// Listens on a port chosen by the system and prints it as the first line of
// standard output. Appends one JSON line to FILE per request as soon as it
// is read, before answering: {n, method, url, headers, body,
// client_port} (the client's port: one per connection). Then answers:
//   - 500 to the first N requests (--fail-first);
//   - 400 {"error": "unknown destination ..."} when a string value of the
//     JSON body ends in 9999;
//   - nothing for MS milliseconds (default 5000), then 200, when a string
//     value ends in 0000: past the client's time-out;
//   - likewise for the first N requests (--slow-first), whatever they hold;
//   - 400 when the body is not JSON;
//   - else 200 {"message_id": "gw-N"}.
'use strict';

const fs = require('fs');
const http = require('http');

let out = null;
let failFirst = 0;
let slowFirst = 0;
let sleepMs = 5000;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--out') out = argv[++i];
	else if (argv[i] === '--fail-first') failFirst = Number(argv[++i]);
	else if (argv[i] === '--slow-first') slowFirst = Number(argv[++i]);
	else if (argv[i] === '--sleep-ms') sleepMs = Number(argv[++i]);
	else { console.error(`http-gateway: unknown argument ${argv[i]}`); process.exit(2); }
}
if (!out) { console.error('http-gateway: --out FILE is required'); process.exit(2); }

let count = 0;

function strings(v, acc) {
	if (typeof v === 'string') acc.push(v);
	else if (v && typeof v === 'object') for (const k of Object.keys(v)) strings(v[k], acc);
	return acc;
}

function answer(res, status, obj) {
	const body = JSON.stringify(obj);
	res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
	res.end(body);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const n = ++count;
		const body = Buffer.concat(chunks).toString('utf8');
		fs.appendFileSync(out, JSON.stringify({ n, method: req.method, url: req.url, headers: req.headers, body, client_port: req.socket.remotePort }) + '\n');
		let json;
		try {
			json = JSON.parse(body);
		} catch (e) {
			return answer(res, 400, { error: `body is not JSON: ${e.message}` });
		}
		const values = strings(json, []);
		if (n <= failFirst)
			return answer(res, 500, { error: 'temporarily unavailable' });
		if (values.some((v) => v.endsWith('9999')))
			return answer(res, 400, { error: 'unknown destination: the number does not exist on this network, check it and send again later' });
		if (n <= slowFirst || values.some((v) => v.endsWith('0000'))) {
			setTimeout(() => { if (!res.destroyed) answer(res, 200, { message_id: `gw-${n}` }); }, sleepMs);
			return undefined;
		}
		return answer(res, 200, { message_id: `gw-${n}` });
	});
});

server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
