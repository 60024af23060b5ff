/** The JSON answer of GET /agreements/{id} at one revision, with its ETag. */
export interface PreparedView {
  readonly revision: number;
  readonly etag: string;
  readonly json: string;
  /** The store's change version read before the state this was built from was loaded (see EventStore.changeVersion). */
  readonly storeVersion: number | undefined;
  /** The day it was built on: what it calls overdue changes at midnight. */
  readonly day: string;
}

/**
 * Dashboards poll agreements: each one's JSON is built once per revision and kept here, with the
 * store's change version it was known current at. While that version has not moved (nothing was
 * committed anywhere), the prepared answer is still the agreement as it stands, and a read skips
 * the command handler altogether; otherwise the handler says the revision and this rebuilds only
 * if it changed. Bounded by the length of the JSON kept: past `capacity` characters the oldest
 * prepared views are dropped (first in, first out: a read costs one lookup, no reordering; a
 * dropped view is rebuilt on its next read). A view grows with its agreement's history.
 */
export class AgreementViews {
  private readonly views = new Map<string, PreparedView>();
  private length = 0;

  constructor(private readonly capacity: number) {}

  /** The prepared view, if nothing was committed since it was known current; undefined: ask the handler. */
  current(id: string, storeVersion: number | undefined, day: string): PreparedView | undefined {
    if (storeVersion === undefined) return undefined;
    const view = this.views.get(id);
    return view !== undefined && view.storeVersion === storeVersion && view.day === day ? view : undefined;
  }

  /**
   * The view of `id` at `revision`, built by `build` unless it is already prepared; `storeVersion`
   * must have been read before the state was loaded, so that a commit in between is never missed.
   */
  at(id: string, revision: number, storeVersion: number | undefined, day: string, build: () => unknown): PreparedView {
    const known = this.views.get(id);
    const view: PreparedView = known !== undefined && known.revision === revision && known.day === day
      ? (known.storeVersion === storeVersion ? known : { ...known, storeVersion })
      : { revision, etag: `"${revision}"`, json: JSON.stringify(build()), storeVersion, day };
    if (view !== known) {
      if (known !== undefined) {
        this.views.delete(id);
        this.length -= known.json.length;
      }
      this.views.set(id, view);
      this.length += view.json.length;
      while (this.length > this.capacity && this.views.size > 1) {
        const [oldest, old] = this.views.entries().next().value!;
        this.views.delete(oldest);
        this.length -= old.json.length;
      }
    }
    return view;
  }
}
