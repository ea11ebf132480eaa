// Kept for the tests that import TcpProxy from here; it lives in pkg/testutil.
export { TcpProxy } from '../../pkg/testutil/index.js';
