import type { OnApplicationShutdown } from '@nestjs/common';
import type { RulesTopicFollower } from '@lead-router/routing-runtime';

/** Keeps following routing.rules until Nest shuts down, which is after the stages drained. */
export class RulesFollowerLifecycle implements OnApplicationShutdown {
  constructor(readonly follower: RulesTopicFollower) {}

  onApplicationShutdown(): Promise<void> {
    return this.follower.stop();
  }
}
