// Kept for the tests that import EtcdServer from here; it lives in pkg/testutil.
export { EtcdServer } from '../../pkg/testutil/index.js';
