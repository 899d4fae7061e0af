// What the rest of the server uses of explain: the front door, the text form, the trace's shape.
export { explainMessage } from './explain.js';
export { formatExplain } from './format.js';
export { prepareMessage } from './prepare.js';
export * from './trace.js';
