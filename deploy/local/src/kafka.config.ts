import * as crypto from 'node:crypto';

/** The single KRaft node's id when it is broker and controller at once; the controller's otherwise. */
export const NODE_ID = 1;
/** The broker's id when the controller runs as a process of its own. */
export const SEPARATE_BROKER_ID = 2;

export type PropertyValue = string | number | boolean;

/**
 * What a node of the stack is: `combined`, one JVM that is broker and controller at once (the
 * default); or, when the controller runs apart (`StackOptions.controller: 'separate'`), the
 * `broker` or the `controller` node.
 */
export type NodeRole = 'combined' | 'broker' | 'controller';

/** server.properties of a KRaft node of the local stack; `extra` adds or overrides settings. */
export function serverProperties(o: {
  kafkaPort: number;
  controllerPort: number;
  logDirs: string;
  extra: Record<string, PropertyValue>;
  role?: NodeRole;
}): string {
  const role = o.role ?? 'combined';
  const plaintext = `PLAINTEXT://127.0.0.1:${o.kafkaPort}`;
  const controller = `CONTROLLER://127.0.0.1:${o.controllerPort}`;
  const roleProps: Record<string, PropertyValue> =
    role === 'controller'
      ? { 'process.roles': 'controller', 'node.id': NODE_ID, listeners: controller }
      : {
          'process.roles': role === 'broker' ? 'broker' : 'broker,controller',
          'node.id': role === 'broker' ? SEPARATE_BROKER_ID : NODE_ID,
          listeners: role === 'broker' ? plaintext : `${plaintext},${controller}`,
          'advertised.listeners': plaintext,
          'inter.broker.listener.name': 'PLAINTEXT',
        };
  const props: Record<string, PropertyValue> = {
    ...roleProps,
    // A static quorum (not the 4.x dynamic `controller.quorum.bootstrap.servers` + `format --standalone`):
    // the voter endpoint then lives in this file, not in the metadata log, so a restart on other ports works.
    'controller.quorum.voters': `${NODE_ID}@127.0.0.1:${o.controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': o.logDirs,
    // In KRaft the controller applies the topic defaults to CreateTopics: both nodes carry them.
    'num.partitions': 6,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 12,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'group.initial.rebalance.delay.ms': 0,
    // a dev/test box: a day of data, at most 1 GiB per partition, 128 MiB segments
    'log.retention.hours': 24,
    'log.retention.bytes': 1024 * 1024 * 1024,
    'log.segment.bytes': 128 * 1024 * 1024,
    'log.retention.check.interval.ms': 300_000,
    // After a SIGKILL the controller keeps the dead broker's registration until its session expires, and the
    // restarted broker cannot register before that (DuplicateBrokerRegistrationException): 9 s by default.
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 4000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    ...o.extra,
  };
  const lines = Object.entries(props).map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`);
  return `# written by deploy/local (lead-router local stack) on every start; edits are overwritten\n${lines.join('\n')}\n`;
}

/** log4j2.xml for the broker: everything into one rolling file, not stdout. */
export function kafkaLog4j2(file: string): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by deploy/local: the broker logs to a file, not to stdout -->
<Configuration status="warn">
  <Appenders>
    <RollingFile name="file" fileName="${esc(file)}" filePattern="${esc(file)}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.controller" level="INFO"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogLoader" level="WARN"/>
  </Loggers>
</Configuration>
`;
}

/**
 * A Kafka cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid`
 * prints). `random` is injectable so the retry below can be tested.
 */
export function randomClusterId(random: () => Buffer = () => crypto.randomBytes(16)): string {
  // One id in 32 starts with '-', which StorageTool's argument parser takes for an option.
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The broker JVM's flags before `-cp`: heap, a low-pause G1, its log config, and the stack marker. */
export function brokerJvmArgs(o: {
  heap: readonly string[];
  log4jConfig: string;
  logDir: string;
  marker: string;
}): string[] {
  return [
    ...o.heap,
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${o.log4jConfig}`,
    `-Dkafka.logs.dir=${o.logDir}`,
    // so that killStrays() can recognise this JVM by its command line
    o.marker,
  ];
}
