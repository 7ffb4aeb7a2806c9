import type { RulesTopicFollower } from '@lead-router/routing-runtime';
import type { OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';

/** Keeps following routing.rules until Nest shuts down, which is after the stages drained. */
export class RulesFollowerLifecycle implements OnApplicationShutdown {
  constructor(readonly follower: RulesTopicFollower) {}

  onApplicationShutdown(): Promise<void> {
    return this.follower.stop();
  }
}

/** The sink's Redis connection, closed once the stages have drained. */
export class SinkRedis implements OnApplicationShutdown {
  constructor(readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
