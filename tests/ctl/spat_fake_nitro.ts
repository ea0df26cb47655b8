/**
 * A fake C nitro for robustness tests: binds a datagram socket at
 * `DIR/nitro.sock` (and makes `DIR/notify`), says `ready` on stdout, and
 * answers every request with rubbish first — a datagram over 64 KiB whose
 * first 64 KiB are a valid list of `big`, random bytes, a truncated record,
 * a state without a name — then the true answer: service `x`, UP, pid 7.
 * Run with `deno run --unstable-net --allow-read --allow-write --allow-net DIR`.
 *
 * @module
 */

const dir = Deno.args[0];
Deno.mkdirSync(`${dir}/notify`, { recursive: true });
const listen = (Deno as unknown as {
  listenDatagram(
    o: { transport: "unixpacket"; path: string },
  ): Deno.DatagramConn;
}).listenDatagram;
const conn = listen({ transport: "unixpacket", path: `${dir}/nitro.sock` });

/** A record: length, tag, payload. */
function record(tag: number, payload: number[] | Uint8Array): number[] {
  return [payload.length & 0xff, payload.length >> 8, tag, ...payload];
}
const u32 = (
  n: number,
) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

function service(name: string): number[] {
  return [
    0xff,
    0xff,
    100,
    ...record(101, [...new TextEncoder().encode(name), 0]),
    ...record(102, [4]),
    ...record(103, u32(7)),
    ...record(104, u32(0)),
    ...record(105, u32(3)),
    0xfe,
    0xff,
    100,
  ];
}

/** A list of `big`, padded with unknown records to 64 KiB and 3 bytes. */
function oversized(): Uint8Array {
  const bytes = [...service("big")];
  const limit = 64 * 1024;
  while (bytes.length + 3 + 60000 <= limit - 3) {
    bytes.push(...record(200, new Uint8Array(60000)));
  }
  const fill = limit - bytes.length - 3;
  bytes.push(...record(201, new Uint8Array(fill)));
  bytes.push(...record(202, []));
  return new Uint8Array(bytes);
}

const rubbish = [
  oversized(),
  crypto.getRandomValues(new Uint8Array(300)),
  new Uint8Array([9, 0, 80]),
  new Uint8Array([0, 0, 4]),
  new Uint8Array([1, 0]),
];

console.log("ready");
for (;;) {
  const [request, from] = await conn.receive();
  const to = from as Deno.UnixAddr;
  const command = request[2];
  for (const bytes of rubbish) {
    await conn.send(bytes, to).catch(() => {});
  }
  const answer = command === 124 ? service("x") : command === 125
    ? [
      ...record(102, [4]),
      ...record(103, u32(7)),
      ...record(104, u32(0)),
      ...record(105, u32(3)),
    ]
    : [0, 0, 80];
  await conn.send(new Uint8Array(answer), to).catch(() => {});
}
