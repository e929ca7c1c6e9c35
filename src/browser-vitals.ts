// The script-tag entry with web vitals (dist/waymark.vitals.min.js). The web-vitals library
// is ~3 KB on its own, so it gets its own file rather than weighing on the default bundle.
import { boot, defaultModules } from './script-tag/boot';
import { webVitals } from './capture/webVitals';
import { journey } from './journey/index';

boot({ ...defaultModules(), webVitals: () => webVitals() }, journey);
