// Studio session cookies as an attacker sees them: forged, tampered, expired, or made from a token
// the server no longer has, none of them is anybody.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cookieOf, StudioSessions } from '../../src/server/auth.ts';

describe('studio session cookies', () => {
  const key = randomBytes(32);
  const token = 'an-api-token-of-this-server-0001';
  let now = Date.parse('2026-12-01T10:00:00Z');
  const sessions = new StudioSessions(key, [token], () => now);

  it('a cookie made from an API token is valid until it expires', () => {
    const { value, expires } = sessions.issue(token);
    assert.equal(sessions.valid(value), true);
    assert.ok(!value.includes(token));
    now = expires.getTime() + 1;
    assert.equal(sessions.valid(value), false, 'expired');
    now = Date.parse('2026-12-01T10:00:00Z');
  });

  it('a tampered, forged or foreign cookie is nobody', () => {
    const { value } = sessions.issue(token);
    const [v, exp, tag, mac] = value.split('.');
    assert.equal(sessions.valid(`${v}.${Number(exp) + 3_600_000}.${tag}.${mac}`), false, 'a later expiry');
    assert.equal(sessions.valid(`${v}.${exp}.${tag}.${mac!.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`), false, 'a changed mac');
    assert.equal(new StudioSessions(randomBytes(32), [token], () => now).valid(value), false, "another server's key");
    for (const junk of ['', 'cs1', 'cs1...', `cs1.${exp}.${tag}`, `${value}.x`, value.toUpperCase()]) assert.equal(sessions.valid(junk), false, junk);
  });

  it('a cookie stops working when its token is no longer configured', () => {
    const { value } = sessions.issue(token);
    assert.equal(new StudioSessions(key, ['another-token-0000000000000000'], () => now).valid(value), false);
  });

  it('reads one cookie out of a Cookie header', () => {
    assert.equal(cookieOf('a=1; cairn_session=cs1.x; b=2', 'cairn_session'), 'cs1.x');
    assert.equal(cookieOf('xcairn_session=1', 'cairn_session'), undefined);
    assert.equal(cookieOf(undefined, 'cairn_session'), undefined);
  });
});
