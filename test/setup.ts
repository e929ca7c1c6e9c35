// fake-indexeddb gives each test file a real IndexedDB implementation in happy-dom.
import 'fake-indexeddb/auto';
