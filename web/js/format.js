// Formatting of values shown in tables: dates, fingerprints, subjects, key descriptions.

const pad = (n) => String(n).padStart(2, '0');

/** Unix seconds → "2026-12-01 18:19 UTC". */
export function formatDate(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  return formatMillis(Number(seconds) * 1000);
}

/** Unix milliseconds → "2026-12-01 18:19 UTC" (with seconds when withSeconds). */
export function formatMillis(millis, withSeconds = false) {
  const d = new Date(Number(millis));
  if (Number.isNaN(d.getTime())) return '—';
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${withSeconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${date} ${time} UTC`;
}

/** "28ee3ed39e47…d6853144" style abbreviation; the full value belongs in a title. */
export function shortFingerprint(fingerprint) {
  if (!fingerprint || fingerprint.length <= 24) return fingerprint || '';
  return `${fingerprint.slice(0, 12)}…${fingerprint.slice(-8)}`;
}

/** Splits an RFC 2253 style DN ("CN=A\, B,O=Example") into [type, value] pairs. */
export function parseDn(dn) {
  const parts = [];
  let current = '';
  for (let i = 0; i < (dn || '').length; i += 1) {
    const c = dn[i];
    if (c === '\\' && i + 1 < dn.length) {
      current += dn[i + 1];
      i += 1;
    } else if (c === ',' || c === '+') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) parts.push(current);
  return parts.map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? ['', part.trim()] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
}

/** The common name of a DN, else the whole DN. */
export function commonName(dn) {
  const cn = parseDn(dn).find(([type]) => type.toUpperCase() === 'CN');
  return cn && cn[1] ? cn[1] : (dn || '(no subject)');
}

/** "RSA 2048", "EC P-256". */
export function keyDescription(algorithm, bits, curve) {
  const name = (algorithm || '').toUpperCase();
  if (curve) return `${name || 'EC'} ${curve}`;
  return bits ? `${name} ${bits}` : name || '—';
}

/** Validity of a certificate from the server's status, else from its dates. */
export function validityState(certificate, nowSeconds = Date.now() / 1000) {
  if (certificate.status === 'expired' || certificate.status === 'not_yet_valid') return certificate.status;
  if (nowSeconds < certificate.not_before) return 'not_yet_valid';
  if (nowSeconds > certificate.not_after) return 'expired';
  return 'valid';
}

/** "sign-encrypt" → "Sign and encrypt". */
export const BEHAVIOURS = [
  ['sign-encrypt', 'Sign and encrypt'],
  ['sign', 'Sign only'],
  ['encrypt', 'Encrypt only'],
  ['none', 'None (neither)'],
];

/** A group's own verification policy for incoming mail; '' is the appliance's setting (null). */
export const REVOCATION_POLICIES = [
  ['', 'Appliance setting'],
  ['soft', 'Soft: valid with a warning'],
  ['hard', 'Hard: not valid'],
];
export const SHA1_POLICIES = [
  ['', 'Appliance setting'],
  ['false', 'Weak: valid with a warning'],
  ['true', 'Rejected: not valid'],
];

/** The table text of a group's own policy: "Revocation hard, SHA-1 rejected"; "Appliance" when it has none. */
export function groupPolicyLabel(group) {
  const parts = [];
  if (group.revocation) parts.push(`Revocation ${group.revocation}`);
  if (group.reject_sha1 === true || group.reject_sha1 === false) {
    parts.push(`SHA-1 ${group.reject_sha1 ? 'rejected' : 'weak'}`);
  }
  return parts.length ? parts.join(', ') : 'Appliance';
}

export function behaviourLabel(value) {
  const found = BEHAVIOURS.find(([v]) => v === value);
  return found ? found[1] : value;
}

/** A plural phrase: plural(2, 'certificate') → "2 certificates". */
export function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
