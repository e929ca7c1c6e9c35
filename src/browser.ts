// The script-tag entry (dist/waymark.min.js): the one module with a side effect.
import { boot, defaultModules } from './script-tag/boot';
import { journey } from './journey/index';

boot(defaultModules(), journey);
