// fake-indexeddb gives each test file a real IndexedDB implementation in happy-dom.
import 'fake-indexeddb/auto';
// happy-dom's Request has no keepalive; the browsers Waymark's page-hide fetch is for do
// (Firefox since 133): without it, Waymark sends that body with sendBeacon instead.
if (typeof Request == 'function' && !('keepalive' in Request.prototype))
  Object.defineProperty(Request.prototype, 'keepalive', { get: () => false, configurable: true });
