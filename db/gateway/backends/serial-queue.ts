/** Runs async jobs strictly one after another: the embedded database has a single connection. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve()

  /** Queues `job`; it starts only after every job queued before it has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every job queued so far has settled. */
  drain(): Promise<void> {
    return this.#tail.then(() => undefined)
  }
}
