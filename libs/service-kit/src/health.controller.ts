import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthProbe } from './health-probe';
import { HEALTH_PROBES } from './tokens';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_PROBES) private readonly probes: HealthProbe[],
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check(
      this.probes.map((probe) => () => {
        const indicator = this.indicators.check(probe.name);
        return probe.healthy() ? indicator.up() : indicator.down();
      }),
    );
  }
}
