// Kept for the tests that import RedisServer from here; it lives in pkg/testutil.
export { RedisServer } from '../../pkg/testutil/index.js';
