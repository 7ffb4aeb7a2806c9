import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokerJvmArgs, kafkaLog4j2, randomClusterId, serverProperties } from './kafka.config';

const parse = (text: string): Map<string, string> =>
  new Map(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('serverProperties', () => {
  const sut = (extra: Record<string, string | number | boolean> = {}) =>
    parse(
      serverProperties({ kafkaPort: 19092, controllerPort: 19093, logDirs: '/data/kafka', extra }),
    );

  it('puts the listeners and a static single-voter quorum on the given ports', () => {
    const props = sut();
    assert.equal(
      props.get('listeners'),
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    );
    assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
    assert.equal(props.get('node.id'), '1');
    assert.equal(props.get('log.dirs'), '/data/kafka');
  });

  it('never creates topics by accident and keeps every internal topic at replication 1', () => {
    const props = sut();
    assert.equal(props.get('auto.create.topics.enable'), 'false');
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'share.coordinator.state.topic.replication.factor',
      'default.replication.factor',
    ])
      assert.equal(props.get(key), '1', key);
  });

  it('lets extra settings override the defaults, each key written once', () => {
    const text = serverProperties({
      kafkaPort: 1,
      controllerPort: 2,
      logDirs: '/d',
      extra: { 'num.partitions': 1, 'log.cleaner.enable': false },
    });
    const props = parse(text);
    assert.equal(props.get('num.partitions'), '1');
    assert.equal(props.get('log.cleaner.enable'), 'false');
    assert.equal(text.split('\n').filter((l) => l.startsWith('num.partitions=')).length, 1);
  });

  it('escapes backslashes, which a properties file reads as escapes (Windows paths)', () => {
    assert.equal(sut({ 'log.dirs': 'C:\\kafka\\data' }).get('log.dirs'), 'C:\\\\kafka\\\\data');
  });

  it('splits the node in two for a separate controller: one quorum, the broker on its own id', () => {
    const of = (role: 'broker' | 'controller') =>
      parse(
        serverProperties({
          kafkaPort: 19092,
          controllerPort: 19093,
          logDirs: `/data/${role}`,
          extra: {},
          role,
        }),
      );
    const broker = of('broker');
    const controller = of('controller');
    assert.equal(broker.get('process.roles'), 'broker');
    assert.equal(broker.get('node.id'), '2');
    assert.equal(broker.get('listeners'), 'PLAINTEXT://127.0.0.1:19092');
    assert.equal(broker.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
    assert.equal(controller.get('process.roles'), 'controller');
    assert.equal(controller.get('node.id'), '1');
    assert.equal(controller.get('listeners'), 'CONTROLLER://127.0.0.1:19093');
    assert.equal(controller.has('advertised.listeners'), false);
    assert.equal(controller.has('inter.broker.listener.name'), false);
    for (const props of [broker, controller]) {
      assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
      // The controller fences a broker whose session ended; the broker heartbeats within it.
      assert.equal(props.get('broker.session.timeout.ms'), '4000');
      assert.equal(props.get('num.partitions'), '6');
    }
    assert.equal(broker.get('log.dirs'), '/data/broker');
    assert.equal(controller.get('log.dirs'), '/data/controller');
  });
});

describe('kafkaLog4j2', () => {
  it('logs to the given file, with the XML special characters of its path escaped', () => {
    const xml = kafkaLog4j2('/tmp/a&b "c"/<kafka>.log');
    assert.match(xml, /fileName="\/tmp\/a&amp;b &quot;c&quot;\/&lt;kafka>.log"/);
    assert.doesNotMatch(xml, /Console/);
  });
});

describe('randomClusterId', () => {
  it('is 22 characters of base64url, never one that starts with "-"', () => {
    const dash = Buffer.from('f8' + '00'.repeat(15), 'hex'); // base64url "-A…"
    const plain = Buffer.from('00'.repeat(16), 'hex');
    assert.ok(dash.toString('base64url').startsWith('-'));
    const draws = [dash, dash, plain];
    const id = randomClusterId(() => draws.shift()!);
    assert.equal(id, plain.toString('base64url'));
    assert.equal(draws.length, 0);
    assert.match(randomClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

describe('brokerJvmArgs', () => {
  it('starts with the heap flags and carries the stack marker', () => {
    const args = brokerJvmArgs({
      heap: ['-Xmx1g'],
      log4jConfig: '/k/log4j2.xml',
      logDir: '/k/logs',
      marker: '-Dlead.router.stack=/k',
    });
    assert.equal(args[0], '-Xmx1g');
    assert.ok(args.includes('-Dlog4j2.configurationFile=/k/log4j2.xml'));
    assert.ok(args.includes('-Dlead.router.stack=/k'));
  });
});
