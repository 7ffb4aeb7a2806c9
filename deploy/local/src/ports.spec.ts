import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { choosePorts, type PortProbe } from './ports';
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
