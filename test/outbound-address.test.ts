import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  checkOutboundUrl,
  isNonPublicAddress,
  OutboundUrlError,
  parseOutboundUrl,
} from '../src/net/outbound-address.js';

const refusedFor = (reason: string) => (error: unknown) =>
  error instanceof OutboundUrlError && error.reason === reason;

describe('outbound addresses', () => {
  it('tells public addresses from private, loopback, link-local, unspecified, multicast and reserved ones', () => {
    const nonPublic = [
      ['127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'shared (CGNAT)'],
      ['169.254.169.254', 'link-local (cloud metadata)'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['::', 'unspecified v6'],
      ['::1', 'loopback v6'],
      ['fe80::1', 'link-local v6'],
      ['fd12:3456::1', 'unique local v6'],
      ['ff02::1', 'multicast v6'],
      ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
      ['::ffff:a9fe:a9fe', 'IPv4-mapped link-local, hex'],
      ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped loopback, uncompressed'],
      ['64:ff9b::a00:1', 'NAT64 of a private address'],
      ['::ffff:0:7f00:1', 'IPv4-translated loopback'],
      ['5f00::1', 'segment routing'],
      ['2001:db8::1', 'documentation v6'],
      ['fe80::1%eth0', 'a zone id'],
      ['not an address', 'no address at all'],
    ];
    for (const [address, what] of nonPublic) assert.equal(isNonPublicAddress(address!), true, what);
    for (const address of ['8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])
      assert.equal(isNonPublicAddress(address), false, address);
  });

  it('parses only absolute http(s) URLs without credentials or port 0', () => {
    assert.equal(parseOutboundUrl('https://hooks.example.com/x?y=1').hostname, 'hooks.example.com');
    for (const url of [
      'not a url',
      '/relative',
      'ftp://example.com/',
      'file:///etc/passwd',
      'https://u:p@example.com/',
      'https://example.com:0/',
    ])
      assert.throws(() => parseOutboundUrl(url), refusedFor('invalid_url'), url);
  });

  it('refuses private targets, however the URL writes them, unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      await assert.rejects(
        checkOutboundUrl(url, { allowPrivate: false }),
        refusedFor('private_address'),
        url,
      );
      assert.ok(await checkOutboundUrl(url, { allowPrivate: true }), url);
    }
  });

  it('refuses a name with any private address among its addresses, and one that does not resolve', async () => {
    const resolve = async (hostname: string) => {
      if (hostname === 'mixed.test')
        return [
          { address: '93.184.215.14', family: 4 },
          { address: '10.0.0.1', family: 4 },
        ];
      if (hostname === 'public.test') return [{ address: '2606:4700::1111', family: 6 }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(
      checkOutboundUrl('https://mixed.test/', { allowPrivate: false, resolve }),
      refusedFor('private_address'),
    );
    await assert.rejects(
      checkOutboundUrl('https://nowhere.test/', { allowPrivate: false, resolve }),
      refusedFor('unresolvable'),
    );
    const target = await checkOutboundUrl('https://public.test/hook', { allowPrivate: false, resolve });
    assert.deepEqual([target.hostname, target.address, target.family], ['public.test', '2606:4700::1111', 6]);
  });

  it('gives up on a name server that never answers: unresolvable, not a request that hangs', async () => {
    const never = () => new Promise<never>(() => undefined);
    await assert.rejects(
      checkOutboundUrl('https://slow.test/', { allowPrivate: false, resolve: never, resolveTimeoutMs: 50 }),
      (error: unknown) => refusedFor('unresolvable')(error) && /not within 50 ms/.test(String(error)),
    );
  });

  describe('connecting', () => {
    let server: http.Server;
    let port: number;

    before(async () => {
      server = http.createServer((req, res) => res.end(`host ${req.headers.host}`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it('goes to the address that was checked, whatever the name resolves to by then', async () => {
      let lookups = 0;
      const resolve = async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      };
      // `rebind.test` resolves nowhere for the system resolver: only the checked address can be reached.
      const target = await checkOutboundUrl(`http://rebind.test:${port}/x`, { allowPrivate: true, resolve });
      const body = await new Promise<string>((done, fail) => {
        http
          .get(target.url, { lookup: target.lookup, agent: false }, (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => done(text));
          })
          .on('error', fail);
      });
      assert.equal(body, `host rebind.test:${port}`);
      assert.equal(lookups, 1, 'resolved once, when checked');
    });
  });
});
