// Kept for the tests that import the helpers from here; they live in pkg/testutil.
export { freePort, TestProcess, waitUntil, type TestProcessOptions, type WaitOptions } from '../../pkg/testutil/index.js';
