// Profile update as the web client sends it with a new photo (multipart), and the checks on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import { multipartPayload } from '../contract/contract.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { webp } from '../support/files.ts';
import { auth, createOrg, type TestOrg } from '../support/identity.ts';

let t: TestApp;
let org: TestOrg;
beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'Picture Org');
});
afterAll(() => t.close());

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);

function patchProfile(fields: Parameters<typeof multipartPayload>[0], token = org.users.sales.token) {
  const body = multipartPayload(fields);
  return t.app.inject({ method: 'PATCH', url: '/api/auth/profile/', payload: body.payload, headers: { ...body.headers, ...auth(token) } });
}

describe('profile picture upload', () => {
  it('stores a real image, nests it as profile.profile_picture and serves it', async () => {
    const res = await patchProfile({ first_name: 'Pia', phoneNumber: '+977-9812345678', profile_picture: { filename: 'me.png', contentType: 'image/png', data: PNG } });
    expect(res.statusCode).toBe(200);
    const picture = res.json().profile.profile_picture as string;
    expect(picture).toMatch(/^\/media\/profile_pics\/[0-9a-f-]{36}\.png$/);
    expect(res.json()).toMatchObject({ first_name: 'Pia', phoneNumber: '+977-9812345678' });
    const served = await t.app.inject({ method: 'GET', url: picture });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.rawPayload.equals(PNG)).toBe(true);
  });

  it('refuses HTML renamed to .png, a non-image, and keeps the old picture', async () => {
    const [before] = await t.db.system((tx) => rows<{ profile_picture: string | null }>(tx, sql`SELECT profile_picture FROM users WHERE id = ${org.users.sales.id}`));
    const html = await patchProfile({ profile_picture: { filename: 'x.png', contentType: 'image/png', data: Buffer.from('<html><script>alert(1)</script></html>') } });
    expect(html.statusCode).toBe(400);
    expect(html.json().profile_picture[0]).toMatch(/does not match/);
    const pdf = await patchProfile({ profile_picture: { filename: 'x.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 hello') } });
    expect(pdf.statusCode).toBe(400);
    const [after] = await t.db.system((tx) => rows<{ profile_picture: string | null }>(tx, sql`SELECT profile_picture FROM users WHERE id = ${org.users.sales.id}`));
    expect(after?.profile_picture).toBe(before?.profile_picture);
  });

  it('accepts a WebP, refuses one with markup after its RIFF end or in its XMP, and a file named ".."', async () => {
    const send = (data: Buffer, filename = 'me.webp') => patchProfile({ profile_picture: { filename, contentType: 'image/webp', data } });
    expect((await send(webp())).statusCode).toBe(200);
    for (const bad of [webp({ after: Buffer.from('<body onmouseover=alert(1)>') }), webp({ xmp: '<svg onload=alert(1)>' })]) {
      const res = await send(bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().profile_picture[0]).toMatch(/script/);
    }
    const dots = await send(webp(), '..');
    expect(dots.statusCode).toBe(400);
    expect(dots.json().profile_picture[0]).toMatch(/file name/);
  });

  it('needs a token', async () => {
    const body = multipartPayload({ first_name: 'X' });
    expect((await t.app.inject({ method: 'PATCH', url: '/api/auth/profile/', payload: body.payload, headers: body.headers })).statusCode).toBe(401);
  });

  it('does not serve guessed or traversal paths', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/media/profile_pics/..%2F..%2Fsecret_key' })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/media/profile_pics/00000000-0000-0000-0000-000000000000.png' })).statusCode).toBe(404);
  });
});
