/** Something `/health` asks: up while `healthy()` is true. */
export interface HealthProbe {
  name: string;
  healthy(): boolean;
}
