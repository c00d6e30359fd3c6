/**
 * The methods a path is served with, read off the router's own table (issue 11, defect 13: a
 * method a route does not serve answered 404, as if the resource did not exist; RFC 9110
 * §15.5.6 wants 405 with `Allow`). Nothing is listed by hand, so a route added later is covered.
 */
export interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

/** A Hono path pattern (`/t/:tenant/offers/:ref`, `/t/*`) as a whole-path RegExp. */
function patternRegExp(path: string): RegExp {
  const source = path
    .split(/(:\w+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * `routes` is read on first use, once every route is registered. `optionsPaths` are the
 * patterns whose CORS policy answers OPTIONS. Returns undefined when no route has the path
 * (that is a 404), else the methods sorted, with HEAD wherever GET is served (Hono answers HEAD
 * from the GET handler).
 */
export function allowedMethods(
  routes: () => readonly RouteEntry[],
  optionsPaths: readonly string[],
): (path: string) => string[] | undefined {
  let table: { re: RegExp; method: string }[] | undefined;
  let options: RegExp[] | undefined;
  return (path) => {
    table ??= routes()
      .filter((r) => r.method !== 'ALL')
      .map((r) => ({ re: patternRegExp(r.path), method: r.method }));
    options ??= optionsPaths.map(patternRegExp);
    const methods = new Set(table.filter((r) => r.re.test(path)).map((r) => r.method));
    if (methods.size === 0) return undefined;
    if (methods.has('GET')) methods.add('HEAD');
    if (options.some((re) => re.test(path))) methods.add('OPTIONS');
    return [...methods].sort();
  };
}
