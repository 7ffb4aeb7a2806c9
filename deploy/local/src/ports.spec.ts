import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  PORT_RANGE,
  PORT_RESERVATIONS_DIR,
  choosePorts,
  freePort,
  listensOn,
  type PortProbe,
  type PortRange,
} from './ports';
import { StackError } from './stack.errors';

/** Ports in `busy` are taken; free() hands out `next` in order. */
function probe(busy: number[], next: number[]): PortProbe {
  return {
    isFree: async (p) => !busy.includes(p),
    free: async () => {
      const p = next.shift();
      assert.ok(p !== undefined, 'asked for more free ports than expected');
      return p;
    },
  };
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'lead-router-ports-'));

describe('choosePorts', () => {
  it('takes requested ports as given and free ones for the rest, and remembers them', async () => {
    const dir = dataDir();
    const sut = await choosePorts(dir, { kafkaPort: 9092 }, true, probe([], [40001, 40002]));
    assert.deepEqual(sut, { kafkaPort: 9092, controllerPort: 40001, registryPort: 40002 });
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')), sut);
  });

  it("prefers last start's ports while they are free, so clients of a restarted broker reconnect", async () => {
    const dir = dataDir();
    writeFileSync(
      join(dir, 'ports.json'),
      JSON.stringify({ kafkaPort: 41000, controllerPort: 41001, registryPort: 41002 }),
    );
    const sut = await choosePorts(dir, {}, true, probe([41001], [42000]));
    assert.deepEqual(sut, { kafkaPort: 41000, controllerPort: 42000, registryPort: 41002 });
  });

  it('never hands the same port to two listeners', async () => {
    const sut = await choosePorts(
      dataDir(),
      {},
      true,
      probe([], [43000, 43000, 43001, 43001, 43002]),
    );
    assert.deepEqual(sut, { kafkaPort: 43000, controllerPort: 43001, registryPort: 43002 });
  });

  it('without the registry, allocates no registry port and does not check it', async () => {
    const sut = await choosePorts(
      dataDir(),
      { registryPort: 8081 },
      false,
      probe([8081], [44000, 44001]),
    );
    assert.deepEqual(sut, { kafkaPort: 44000, controllerPort: 44001, registryPort: 8081 });
  });

  it('refuses a requested port that is taken, with the code port_in_use', async () => {
    await assert.rejects(
      choosePorts(dataDir(), { kafkaPort: 9092 }, false, probe([9092], [45000])),
      (err: unknown) =>
        err instanceof StackError &&
        err.code === 'port_in_use' &&
        err.context['port'] === 9092 &&
        /kafka port 9092/.test(err.message),
    );
  });
});

/** A child Node process that reserves `count` ports of `range` with freePort and prints them. */
function childReserving(range: PortRange, count: number, exitAfter: boolean) {
  const script = `
    const { freePort } = require(${JSON.stringify(join(__dirname, 'ports.js'))});
    (async () => {
      const ports = [];
      for (let i = 0; i < ${count}; i++) ports.push(await freePort('127.0.0.1', ${JSON.stringify(range)}));
      process.stdout.write(JSON.stringify(ports) + '\\n');
      if (!${exitAfter}) setInterval(() => undefined, 1000);
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = new Promise<number[]>((done) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.endsWith('\n')) done(JSON.parse(out) as number[]);
    });
  });
  const exited = once(child, 'exit');
  return { child, ports, exited };
}

const noFreePort = (err: unknown) =>
  err instanceof StackError && err.code === 'port_in_use' && /no free port/.test(err.message);

// Ranges below PORT_RANGE, one per test, so no other freePort of this machine picks them.
describe('freePort', () => {
  it('hands out distinct ports, below the ephemeral range, until the range is used up', async () => {
    assert.ok(PORT_RANGE.high <= 32_768, 'PORT_RANGE reaches into the ephemeral range');
    const range = { low: 19_990, high: 19_994 };
    const ports: number[] = [];
    for (let i = 0; i < 4; i++) ports.push(await freePort('127.0.0.1', range));
    assert.deepEqual([...ports].sort(), [19_990, 19_991, 19_992, 19_993]);
    await assert.rejects(freePort('127.0.0.1', range), noFreePort);
  });

  it('skips a port something already listens on', async () => {
    const server = createServer();
    server.listen(19_980, '127.0.0.1');
    await once(server, 'listening');
    try {
      const range = { low: 19_980, high: 19_982 };
      assert.equal(await freePort('127.0.0.1', range), 19_981);
      await assert.rejects(freePort('127.0.0.1', range), noFreePort);
    } finally {
      server.close();
    }
  });

  it("does not hand out another live process's port, and takes over a killed one's", async () => {
    const range = { low: 19_970, high: 19_972 };
    const holder = childReserving(range, 2, false);
    assert.deepEqual((await holder.ports).sort(), [19_970, 19_971]);
    await assert.rejects(freePort('127.0.0.1', range), noFreePort);
    holder.child.kill('SIGKILL'); // no exit handler runs: its reservation files stay behind
    await holder.exited;
    assert.ok(existsSync(join(PORT_RESERVATIONS_DIR, '19970')));
    const taken = [await freePort('127.0.0.1', range), await freePort('127.0.0.1', range)];
    assert.deepEqual(taken.sort(), [19_970, 19_971]);
    assert.equal(readFileSync(join(PORT_RESERVATIONS_DIR, '19970'), 'utf8'), String(process.pid));
  });

  it('removes its reservations when its process exits', async () => {
    const range = { low: 19_960, high: 19_961 };
    const child = childReserving(range, 1, true);
    assert.deepEqual(await child.ports, [19_960]);
    await child.exited;
    assert.equal(existsSync(join(PORT_RESERVATIONS_DIR, '19960')), false);
    assert.equal(await freePort('127.0.0.1', range), 19_960);
  });
});

describe('listensOn', () => {
  it("tells the process listening on a port from another one, its own from a child's", async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').createServer().listen(0, '::', () => process.stdout.write(s.address().port + '\\n'));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const own = (server.address() as { port: number }).port;
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const childs = Number(line.toString().trim());
      assert.equal(listensOn(process.pid, own), true);
      assert.equal(listensOn(process.pid, childs), false, 'a port another process listens on');
      assert.equal(listensOn(child.pid!, childs), true, 'an IPv6 listener');
      assert.equal(listensOn(child.pid!, own), false);
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });

  it('cannot tell for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    assert.equal(listensOn(child.pid!, 8080), null);
  });
});
