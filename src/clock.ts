/** The clock port: the only way application code learns the time, so tests can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock for tests: starts where told and moves only when told. */
export class FakeClock implements Clock {
  #ms: number;
  constructor(start: Date | string) {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  set(instant: Date | string): void {
    this.#ms = new Date(instant).getTime();
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}
