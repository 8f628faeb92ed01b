// Health probes of the local control plane's components (plain GETs on loopback).
import http from 'node:http';
import https from 'node:https';

export function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => collect(res, resolve, reject));
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

/** GET over TLS without verifying the peer: only for local /healthz probes. */
export function httpsGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { timeout: 5000, rejectUnauthorized: false }, (res) => collect(res, resolve, reject));
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

function collect(res: http.IncomingMessage, resolve: (s: string) => void, reject: (e: Error) => void) {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => (body += d));
  res.on('end', () =>
    res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`)),
  );
  res.on('error', reject);
}
