export { deleteSeriesApi, type DeleteSeriesApiOptions } from './api.js';
export { purgerConfig, type PurgerConfig } from './config.js';
export {
  DeleteRequestState, TOMBSTONES_DIR, activeDeletions, deleteRequestId, listDeleteRequests, writeDeleteRequest, type ActiveDeletion, type DeleteRequest,
} from './delete-requests.js';
