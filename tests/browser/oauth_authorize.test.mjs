// Okta's OAuth flow through scimd's authorize page in a real Chromium: the admin's popup signs in
// with the tenant's SCIM login, allows access, and is redirected to Okta's callback with a code
// (Chromium enforces the page's Content-Security-Policy, form-action included, on that redirect);
// then Okta's side, server to server: code -> tokens -> SCIM -> refresh -> the spent refresh token
// refused. Okta's callback host is not reachable from a test, so the browser's request to it is
// intercepted and answered here.
//
// Run: SCIMD_BINARY=build/asan/scimd node --test tests/browser/  (CHROMIUM: the browser binary,
// default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import puppeteer from 'puppeteer-core';

const BINARY = process.env.SCIMD_BINARY ?? new URL('../../build/asan/scimd', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CALLBACK = 'https://system-admin.okta.com/admin/app/cpc/acme_scim/oauth/callback';
const PASSWORD = 'Correct-Horse-Battery-9';

let server;
let dataDir;
let origin;
let browser;
let client;  // { id, secret } of the shared client

function cli(args, input) {
  return execFileSync(BINARY, [...args, '--data', dataDir], { input: input ?? '', encoding: 'utf8', timeout: 60_000 });
}

// Starts scimd on a free port of 127.0.0.1 and resolves with its origin once it listens.
function startScimd() {
  return new Promise((resolve, reject) => {
    server = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`scimd did not start:\n${output}`)), 30_000);
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/scimd listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        server.stdout.resume();
        resolve(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`scimd exited ${code}:\n${output}`)));
  });
}

async function tokenRequest(form) {
  const response = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'Basic ' + Buffer.from(`${client.id}:${client.secret}`).toString('base64'),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: await response.json() };
}

async function scimStatus(accessToken, tenant = 'demo') {
  const response = await fetch(`${origin}/scim/v2/${tenant}/Users?count=1`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  return response.status;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'scimd-browser-'));
  origin = await startScimd();
  cli(['login', 'set', 'demo', 'demo-admin'], `${PASSWORD}\n`);
  const lines = cli(['oauth', 'client', 'create', '--shared', '--okta-callbacks', 'acme_scim']).trim().split('\n');
  client = { id: lines.at(-2).split('=')[1], secret: lines.at(-1).split('=')[1] };
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    assert.equal(await exited, 0, 'scimd must exit 0 on SIGTERM');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

// Opens the authorize URL in a new page, signs in and answers the consent; resolves with the URL
// the browser was finally sent to (Okta's callback, intercepted) and what the page logged.
async function authorizeInBrowser({ challenge, decision = 'Allow', password = PASSWORD }) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.setRequestInterception(true);
  let callback = null;
  page.on('request', (request) => {
    if (request.url().startsWith('https://system-admin.okta.com/')) {
      if (request.isNavigationRequest()) callback = request.url();
      request.respond({ status: 200, contentType: 'text/html', body: '<p>Okta callback</p>' });
    } else {
      request.continue();
    }
  });
  const query = new URLSearchParams({
    response_type: 'code', client_id: client.id, redirect_uri: CALLBACK, state: 'okta-state-42',
    scope: 'scim offline_access', code_challenge: challenge, code_challenge_method: 'S256',
  });
  const first = await page.goto(`${origin}/oauth/authorize?${query}`);
  assert.equal(first.status(), 200);
  assert.match(first.headers()['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(await page.title(), 'Sign in to scimd');

  await page.type('#username', 'demo-admin');
  await page.type('#password', password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  if (password !== PASSWORD) {
    const text = await page.$eval('.error', (element) => element.textContent);
    await page.close();
    return { error: text, problems };
  }
  assert.equal(await page.title(), 'Allow access to demo?');
  const buttons = await page.$$eval('button', (elements) => elements.map((b) => b.textContent));
  assert.deepEqual(buttons, ['Allow', 'Deny']);
  const [button] = await page.$$(`button[value="${decision.toLowerCase()}"]`);
  await Promise.all([page.waitForNavigation(), button.click()]);
  await page.close();
  return { callback, problems };
}

function pkce() {
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

test('the admin signs in and allows; Okta gets a code, tokens, SCIM access and rotating refresh', async () => {
  const { verifier, challenge } = pkce();
  const { callback, problems } = await authorizeInBrowser({ challenge });
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
  assert.ok(callback, 'the browser was redirected to the callback');
  const url = new URL(callback);
  assert.equal(url.origin + url.pathname, CALLBACK);
  assert.equal(url.searchParams.get('state'), 'okta-state-42');
  const code = url.searchParams.get('code');
  assert.match(code, /^scimdac_/);

  const exchanged = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  assert.equal(await scimStatus(exchanged.body.access_token), 200);
  assert.equal(await scimStatus(exchanged.body.access_token, 'elsewhere'), 401);

  const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.equal(await scimStatus(refreshed.body.access_token), 200);
  const reused = await tokenRequest({ grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token });
  assert.equal(reused.status, 400);
  assert.equal(reused.body.error, 'invalid_grant');
  assert.equal(await scimStatus(refreshed.body.access_token), 401, 'reuse revokes the grant');
});

test('denying sends access_denied back, and a wrong password stays on the page', async () => {
  const denied = await authorizeInBrowser({ challenge: pkce().challenge, decision: 'Deny' });
  assert.deepEqual(denied.problems, []);
  const url = new URL(denied.callback);
  assert.equal(url.searchParams.get('error'), 'access_denied');
  assert.equal(url.searchParams.get('code'), null);

  const wrong = await authorizeInBrowser({ challenge: pkce().challenge, password: 'not-the-password' });
  assert.equal(wrong.error, 'The username or password is not valid.');
});

test('the page refuses to be framed by another site', async () => {
  const page = await browser.newPage();
  const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: CALLBACK });
  await page.setContent(`<iframe id="f" src="${origin}/oauth/authorize?${query}"></iframe>`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const frame = page.frames().find((f) => f.url().includes('/oauth/authorize'));
  const framedTitle = frame ? await frame.title().catch(() => '') : '';
  assert.notEqual(framedTitle, 'Sign in to scimd', 'Chromium must block the framed page');
  await page.close();
});
