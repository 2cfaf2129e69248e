#!/usr/bin/env node
// genieacs — a stand-in for a GenieACS server's northbound API (NBI) on
// 127.0.0.1, for the genieacs adapter's tests (src/chan/provisioning/genieacs.h).
//
// GenieACS itself needs MongoDB, which these machines do not have. This peer
// implements only the NBI endpoints relance calls, with the request and
// answer bodies of GenieACS's API reference (docs/api-reference.rst of
// GenieACS: "POST /devices/<device_id>/tasks?[connection_request]",
// "GET /<collection>/?query=<query>", "DELETE /tasks/<task_id>"):
//
//   POST /devices/<id>/tasks[?timeout=MS][&connection_request]
//        body: a task, e.g. {"name": "setParameterValues",
//              "parameterValues": [[path, value, type], ...]}
//        404 "No such device"; otherwise the task gets an "_id" and is
//        queued. With connection_request and the device online, the device
//        runs it at once: 200 and the task. Offline (the connection request
//        goes unanswered): 202 "Task queued but not processed" and the task.
//        A value the device refuses (a path it does not have, a read-only
//        parameter): 202 "Task faulted", the task stays with its fault.
//   GET  /devices/?query=<json>&projection=<path>,<path>...
//        a JSON array of device documents ("[\n" doc ",\n" doc "\n]" as
//        GenieACS writes it): "_id", "_deviceId", "_lastInform", "_tags"
//        and the parameters nested by path, each leaf {"_value", "_type",
//        "_timestamp", "_writable"}, each object node {"_object": true,
//        "_writable", "_timestamp"}. The query may be {} or {"_id": ...}.
//   GET  /tasks/?query={"device": <id>}   the tasks still queued
//   DELETE /tasks/<task_id>               200, or 404 "Task not found"
//
// And, for tests only, what a real device does by itself:
//   POST /_test/devices/<id>/online    the device comes back and runs its
//        queued tasks in order, as at its next inform: 200 {"ran": N, "faulted": M}
//   POST /_test/devices/<id>/offline   the device stops answering
//
//   node tests/peers/genieacs.js --out FILE [--port N] [--devices FILE.json]
//        [--device ID[:offline]]... [--auth-env VAR]
//
// --devices: a JSON array of {"id", "online" (default true), "params":
// {path: {"value", "type", "writable" (default true)}}, "ignores": [path...]}
// (a device that accepts a set of those paths but keeps its old value: a
// drift). --device adds a device with a few usual parameters. --auth-env:
// HTTP basic credentials "user:password" from that environment variable.
// Prints the port as the first line of standard output; appends one JSON
// line to FILE per request: {n, method, url, path, query, body, status, reason}.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const url = require('url');

let out = null;
let port = 0;
let authEnv = null;
const devices = new Map();
const tasks = [];   // queued: {_id, device, name, parameterValues, timestamp, fault?}

function usualParams() {
	return {
		'InternetGatewayDevice.DeviceInfo.SerialNumber': { value: 'SN0001', type: 'xsd:string', writable: false },
		'InternetGatewayDevice.ManagementServer.PeriodicInformInterval': { value: 300, type: 'xsd:unsignedInt' },
		'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.Enable': { value: true, type: 'xsd:boolean' },
		'InternetGatewayDevice.X_RELANCE.Level': { value: 'full', type: 'xsd:string' },
		'InternetGatewayDevice.X_RELANCE.RateLimitKbps': { value: 0, type: 'xsd:unsignedInt' },
		'InternetGatewayDevice.X_RELANCE.Note': { value: '', type: 'xsd:string' },
	};
}

function addDevice(spec) {
	const d = {
		id: spec.id,
		online: spec.online !== false,
		params: {},
		ignores: new Set(spec.ignores || []),
		lastInform: new Date().toISOString(),
	};
	const params = spec.params || usualParams();
	for (const [p, v] of Object.entries(params))
		d.params[p] = { value: v.value, type: v.type || 'xsd:string', writable: v.writable !== false, timestamp: d.lastInform };
	devices.set(d.id, d);
}

const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--out') out = argv[++i];
	else if (argv[i] === '--port') port = Number(argv[++i]);
	else if (argv[i] === '--auth-env') authEnv = argv[++i];
	else if (argv[i] === '--devices') {
		for (const spec of JSON.parse(fs.readFileSync(argv[++i], 'utf8'))) addDevice(spec);
	} else if (argv[i] === '--device') {
		const s = argv[++i];
		const off = s.endsWith(':offline');
		addDevice({ id: off ? s.slice(0, -8) : s, online: !off });
	} else { console.error(`genieacs: unknown argument ${argv[i]}`); process.exit(2); }
}
if (!out) { console.error('genieacs: --out FILE is required'); process.exit(2); }
const auth = authEnv ? process.env[authEnv] : null;
if (authEnv && !auth) { console.error(`genieacs: ${authEnv} is not set`); process.exit(2); }

let count = 0;

// A value as GenieACS keeps it for its type.
function typed(value, type) {
	if (type === 'xsd:boolean') {
		if (typeof value === 'boolean') return value;
		return value === 'true' || value === '1' || value === 1;
	}
	if (['xsd:int', 'xsd:unsignedInt', 'xsd:long', 'xsd:unsignedLong'].includes(type))
		return typeof value === 'number' ? value : Number(value);
	return String(value);
}

// The device runs a task; returns a fault or null.
function run(d, task) {
	if (task.name !== 'setParameterValues')
		return null;
	for (const pv of task.parameterValues || []) {
		const p = d.params[pv[0]];
		if (!p) return { code: 'cwmp.9005', message: `Invalid parameter name: ${pv[0]}` };
		if (!p.writable) return { code: 'cwmp.9008', message: `Attempt to set a non-writable parameter: ${pv[0]}` };
	}
	const now = new Date().toISOString();
	for (const pv of task.parameterValues || []) {
		const p = d.params[pv[0]];
		const type = pv[2] || p.type;
		if (!d.ignores.has(pv[0])) {
			p.value = typed(pv[1], type);
			p.type = type;
		}
		p.timestamp = now;
	}
	d.lastInform = now;
	return null;
}

function document(d, projection) {
	const doc = {
		_id: d.id,
		_deviceId: { _Manufacturer: 'Relance Test', _OUI: d.id.split('-')[0], _ProductClass: 'CPE', _SerialNumber: d.id.split('-').slice(2).join('-') },
		_lastInform: d.lastInform,
		_registered: d.lastInform,
		_tags: [],
	};
	const wanted = (p) => !projection || projection.some((q) => q === p || p.startsWith(`${q}.`) || q.startsWith('_'));
	for (const [path, p] of Object.entries(d.params)) {
		if (!wanted(path)) continue;
		const parts = path.split('.');
		let node = doc;
		for (let i = 0; i < parts.length - 1; i++) {
			if (!node[parts[i]]) node[parts[i]] = { _object: true, _writable: false, _timestamp: p.timestamp };
			node = node[parts[i]];
		}
		node[parts[parts.length - 1]] = { _value: p.value, _type: p.type, _timestamp: p.timestamp, _writable: p.writable };
	}
	if (projection) {
		for (const k of ['_deviceId', '_lastInform', '_registered', '_tags'])
			if (!projection.includes(k)) delete doc[k];
	}
	return doc;
}

function finish(res, log, status, reason, body, type) {
	log.status = status;
	log.reason = reason || null;
	fs.appendFileSync(out, JSON.stringify(log) + '\n');
	const headers = { 'GenieACS-Version': '1.2.13-relance-test' };
	if (type) headers['Content-Type'] = type;
	if (reason) res.writeHead(status, reason, headers);
	else res.writeHead(status, headers);
	res.end(body);
}

const DEVICE_TASKS = /^\/devices\/([a-zA-Z0-9\-_%]+)\/tasks\/?$/;
const TASK = /^\/tasks\/([a-zA-Z0-9\-_%]+)\/?$/;
const CONTROL = /^\/_test\/devices\/([a-zA-Z0-9\-_%]+)\/(online|offline)$/;

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('utf8');
		const u = url.parse(req.url, true);
		const log = { n: ++count, method: req.method, url: req.url, path: u.pathname, query: u.query, body };
		let m;

		if (auth) {
			const want = `Basic ${Buffer.from(auth).toString('base64')}`;
			const got = req.headers.authorization || '';
			if (got.length !== want.length || !crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want)))
				return finish(res, log, 401, null, 'Unauthorized');
		}
		if ((m = DEVICE_TASKS.exec(u.pathname)) && req.method === 'POST') {
			const id = decodeURIComponent(m[1]);
			log.device = id;
			let task;
			try { task = JSON.parse(body); } catch (e) { return finish(res, log, 400, null, `${e.name}: ${e.message}`); }
			const d = devices.get(id);
			if (!d) return finish(res, log, 404, null, 'No such device');
			task._id = crypto.randomBytes(12).toString('hex');
			task.device = id;
			task.timestamp = new Date().toISOString();
			log.task_id = task._id;
			if (u.query.connection_request === undefined || !d.online) {
				tasks.push(task);
				return finish(res, log, 202, 'Task queued but not processed', JSON.stringify(task), 'application/json');
			}
			const fault = run(d, task);
			if (fault) {
				task.fault = fault;
				tasks.push(task);
				return finish(res, log, 202, 'Task faulted', JSON.stringify(task), 'application/json');
			}
			return finish(res, log, 200, null, JSON.stringify(task), 'application/json');
		}
		if ((m = TASK.exec(u.pathname)) && req.method === 'DELETE') {
			const i = tasks.findIndex((t) => t._id === decodeURIComponent(m[1]));
			if (i < 0) return finish(res, log, 404, null, 'Task not found');
			tasks.splice(i, 1);
			return finish(res, log, 200, null, '');
		}
		if ((m = CONTROL.exec(u.pathname)) && req.method === 'POST') {
			const d = devices.get(decodeURIComponent(m[1]));
			if (!d) return finish(res, log, 404, null, 'No such device');
			d.online = m[2] === 'online';
			let ran = 0;
			let faulted = 0;
			if (d.online) {
				for (const t of tasks.filter((x) => x.device === d.id && !x.fault)) {
					const fault = run(d, t);
					if (fault) { t.fault = fault; faulted++; } else { tasks.splice(tasks.indexOf(t), 1); ran++; }
				}
			}
			return finish(res, log, 200, null, JSON.stringify({ ran, faulted }), 'application/json');
		}
		if ((u.pathname === '/devices/' || u.pathname === '/devices' || u.pathname === '/tasks/' || u.pathname === '/tasks') &&
		    req.method === 'GET') {
			let q = {};
			if (u.query.query) {
				try { q = JSON.parse(u.query.query); } catch (e) { return finish(res, log, 400, null, `${e.name}: ${e.message}`); }
			}
			let items;
			if (u.pathname.startsWith('/devices')) {
				const projection = u.query.projection ? String(u.query.projection).split(',').map((s) => s.trim()) : null;
				items = [...devices.values()].filter((d) => q._id === undefined || d.id === q._id).map((d) => document(d, projection));
			} else {
				items = tasks.filter((t) => q.device === undefined || t.device === q.device);
			}
			return finish(res, log, 200, null, `[\n${items.map((x) => JSON.stringify(x)).join(',\n')}\n]`, 'application/json');
		}
		return finish(res, log, 404, null, '404 Not Found');
	});
});

server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
