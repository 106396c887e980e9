// Calls to the smimed API with the session's bearer token. Errors become ApiError with the
// server's own message ({"error": {"code", "message", "details"}}); a 401 ends the session.

import { clearToken, getToken } from './session.js';

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

let unauthorizedHandler = () => {};

/** Called with the ApiError when the server refuses the session's token (401). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Header values must be byte strings: a UTF-8 passphrase is sent as its raw bytes. */
export function headerBytes(text) {
  return Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join('');
}

async function errorFrom(response) {
  let code = `http_${response.status}`;
  let message = `The appliance answered ${response.status} ${response.statusText}`.trim();
  let details = [];
  try {
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
      details = body.error.details || [];
    }
  } catch {
    // Not JSON: keep the generic message.
  }
  return new ApiError(response.status, code, message, details);
}

/**
 * One request. options: method, query (object), json (body), body (string, ArrayBuffer,
 * Blob), contentType, headers, token (overrides the session's, used to check a token before
 * keeping it). Returns the Response when it is 2xx, throws ApiError otherwise.
 */
export async function request(path, options = {}) {
  const { method = 'GET', query, json, body, contentType, headers = {}, token } = options;
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  const sent = new Headers(headers);
  const bearer = token ?? getToken();
  if (bearer) sent.set('Authorization', `Bearer ${bearer}`);
  let payload = body;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    sent.set('Content-Type', 'application/json');
  } else if (contentType) {
    sent.set('Content-Type', contentType);
  }
  if (!sent.has('Accept')) sent.set('Accept', 'application/json');

  let response;
  try {
    response = await fetch(url, {
      method, headers: sent, body: payload, credentials: 'omit', cache: 'no-store',
    });
  } catch (cause) {
    throw new ApiError(0, 'network', `The appliance could not be reached (${cause.message}).`);
  }
  if (response.ok) return response;
  const error = await errorFrom(response);
  if (response.status === 401 && token === undefined) {
    clearToken();
    unauthorizedHandler(error);
  }
  throw error;
}

/** A request whose answer is JSON (or nothing for 204). */
export async function requestJson(path, options) {
  const response = await request(path, options);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A request whose answer is a file: {blob, filename}. */
export async function requestFile(path, options = {}) {
  const response = await request(path, { ...options, headers: { Accept: '*/*', ...options.headers } });
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename="([^"]+)"/.exec(disposition);
  return { blob, filename: match ? match[1] : '' };
}

/** The path of one certificate resource. */
export function certificatePath(fingerprint, suffix = '') {
  return `/api/v1/certificates/${encodeURIComponent(fingerprint)}${suffix}`;
}
