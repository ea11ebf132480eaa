export type { Service, ServiceFns, State } from './service.js';
export { abortedPromise, basicService, compositeService, idleService, sleep, timerService } from './service.js';
export { ServiceManager } from './manager.js';
export { deadlineSignal, type Deadline } from './deadline.js';
