#!/usr/bin/env node
// serve-demo.mjs: serves the built chat page (web/dist) on http://localhost:8080 with the headers that
// make it cross-origin isolated (COOP/COEP, so the threaded wasm build can use SharedArrayBuffer) and
// the right MIME types (.wasm as application/wasm). Plain node, no dependencies.
//
//   node tools/serve-demo.mjs [--port 8080] [--host 127.0.0.1] [--dir web/dist] [--no-isolation]
//
// --no-isolation leaves the COOP/COEP headers out (to see the page's single-thread fallback).

import { createServer } from 'node:http';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const root = resolve(opt('--dir', join(dirname(fileURLToPath(import.meta.url)), '../web/dist')));
const port = Number(opt('--port', process.env.PORT ?? 8080));
const host = opt('--host', '127.0.0.1');
const isolate = !args.includes('--no-isolation');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.gguf': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

if (!existsSync(join(root, 'index.html'))) {
  console.error(`serve-demo: ${root}/index.html is missing: build the page first (node web/demo/build.mjs)`);
  process.exit(1);
}

const server = createServer(async (req, res) => {
  const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (isolate) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    headers['Cross-Origin-Resource-Policy'] = 'same-origin';
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end();
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  } catch {
    res.writeHead(400, headers).end();
    return;
  }
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, headers).end();
    return;
  }
  let st;
  try {
    st = await stat(file);
    if (!st.isFile()) throw new Error('not a file');
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  headers['Content-Type'] = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  headers['Accept-Ranges'] = 'bytes';
  // Range requests, so a model URL can be read in parts.
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = st.size - 1;
  if (range && (range[1] || range[2])) {
    if (range[1]) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
    } else {
      start = Math.max(0, st.size - Number(range[2]));
    }
    if (start > end) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` }).end();
      return;
    }
    headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    res.writeHead(206, { ...headers, 'Content-Length': end - start + 1 });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': st.size });
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
});

server.listen(port, host, () => {
  const { port: actual } = server.address();
  console.log(`serve-demo: http://${host === '0.0.0.0' ? 'localhost' : host}:${actual}/ serving ${root}` +
    (isolate ? ' (cross-origin isolated)' : ' (without COOP/COEP: single-threaded)'));
});
