import { defineModule } from '../../app/module.js';
import { NodeResolver } from './node.resolver.js';

/** `node(id:)`: reads any type another module lists under `nodes`. */
export const nodeModule = defineModule({
  name: 'node',
  resolvers: [NodeResolver],
  build: () => ({ service: null }),
});
