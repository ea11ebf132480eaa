/** Helpers for tests of the parser and of what walks its AST. */

/** Queries `n` levels deep in each way PromQL nests (the subquery shape rounds up to 3 levels). */
export const deepQueries: Record<string, (n: number) => string> = {
  parentheses: (n) => `${'('.repeat(n)}a${')'.repeat(n)}`,
  'unary minus': (n) => `${'-'.repeat(n)}a`,
  'unary minus, spaced': (n) => `${'- '.repeat(n)}a`,
  'function calls': (n) => `${'abs('.repeat(n)}a${')'.repeat(n)}`,
  aggregations: (n) => `${'sum by (j) ('.repeat(n)}a${')'.repeat(n)}`,
  'binary chain': (n) => `a${' + a'.repeat(n)}`,
  'binary chain of long terms': (n) => `a${' + on (job) http_requests_total{job="api-server", instance=~"host-.*"}'.repeat(n)}`,
  'or chain': (n) => `a${' or a'.repeat(n)}`,
  'power chain (right-associative)': (n) => `a${'^a'.repeat(n)}`,
  'scalar chain': (n) => `1${'+1'.repeat(n)}`,
  'chain into parentheses': (n) => `${'a + ('.repeat(Math.ceil(n / 2))}a${')'.repeat(Math.ceil(n / 2))}`,
  subqueries: (n) => `${'max_over_time(('.repeat(Math.ceil(n / 3))}a${')[1m:])'.repeat(Math.ceil(n / 3))}`,
  'duration arithmetic': (n) => `a[1m${'+1s'.repeat(n - 2)}]`,
};
