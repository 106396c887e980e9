// A throw-away appliance for the browser tests: a temporary home with a SoftHSM dev token,
// API tokens made with smimectl, and smimed on an ephemeral loopback port.

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The environment without anything that would point the binaries at another token or home. */
export function cleanEnvironment(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'SOFTHSM2_CONF' || name.startsWith('SMIME_')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export class Appliance {
  constructor({ smimed, smimectl, webRoot }) {
    this.smimedPath = smimed;
    this.smimectlPath = smimectl;
    this.webRoot = webRoot;
    this.home = null;
    this.process = null;
    this.baseUrl = null;
    this.output = '';
  }

  /** Runs smimectl --home H [--json] args; returns stdout (parsed when json). */
  async smimectl(args, { json = false } = {}) {
    const full = ['--home', this.home, ...(json ? ['--json'] : []), ...args];
    try {
      const { stdout } = await run(this.smimectlPath, full, { env: cleanEnvironment(), timeout: 60_000 });
      return json ? JSON.parse(stdout) : stdout;
    } catch (error) {
      throw new Error(`smimectl ${args.join(' ')} failed: ${error.stderr || error.message}`);
    }
  }

  async setUp() {
    this.home = await mkdtemp(path.join(os.tmpdir(), 'smime-web-'));
    await this.smimectl(['token', 'init']);
    await writeFile(path.join(this.home, 'smime.toml'), '[server]\nport = 0\n');
    this.adminToken = (await this.smimectl(['apitoken', 'create', '--role', 'admin', '--name', 'web'], { json: true })).secret;
    this.operatorToken = (await this.smimectl(['apitoken', 'create', '--role', 'operator', '--name', 'web-operator'], { json: true })).secret;
    if (!/^smk_/.test(this.adminToken) || !/^smk_/.test(this.operatorToken)) {
      throw new Error('smimectl apitoken create gave no secret');
    }
    await this.start();
  }

  /** Starts smimed and waits for "smimed: listening on https://127.0.0.1:PORT". */
  start() {
    return new Promise((resolve, reject) => {
      const child = spawn(this.smimedPath, ['--home', this.home], {
        env: cleanEnvironment({ SMIME_WEB_ROOT: this.webRoot }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.process = child;
      const timer = setTimeout(() => reject(new Error(`smimed did not start within 30 s:\n${this.output}`)), 30_000);
      const onData = (chunk) => {
        this.output += chunk.toString();
        const match = /smimed: listening on (https:\/\/[^\s]+)/.exec(this.output);
        if (match && !this.baseUrl) {
          this.baseUrl = match[1].replace(/\/$/, '');
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code, signal) => {
        if (!this.baseUrl) {
          clearTimeout(timer);
          reject(new Error(`smimed exited (${code ?? signal}) before listening:\n${this.output}`));
        }
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** A request to smimed from node (its TLS certificate is self-signed). */
  request(method, urlPath, { body, headers = {}, token = this.adminToken } = {}) {
    return new Promise((resolve, reject) => {
      // The path goes out exactly as given (no URL normalisation of "..": the traversal tests
      // need the raw form).
      const base = new URL(this.baseUrl);
      const sent = { ...headers };
      if (token) sent.Authorization = `Bearer ${token}`;
      if (body !== undefined) sent['Content-Length'] = Buffer.byteLength(body);
      const req = https.request({
        hostname: base.hostname, port: base.port, path: urlPath, method, headers: sent,
        rejectUnauthorized: false, timeout: 30_000, agent: false,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          let json = null;
          try {
            json = JSON.parse(buffer.toString('utf8'));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode, headers: res.headers, body: buffer, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async json(method, urlPath, options) {
    const answer = await this.request(method, urlPath, options);
    if (answer.status >= 400) {
      throw new Error(`${method} ${urlPath} answered ${answer.status}: ${answer.body.toString('utf8')}`);
    }
    return answer.json;
  }

  async stop() {
    const child = this.process;
    this.process = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 8_000); });
      const outcome = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }

  async tearDown({ keep = false } = {}) {
    await this.stop();
    if (this.home && !keep) await rm(this.home, { recursive: true, force: true });
  }
}
