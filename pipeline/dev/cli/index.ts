/** The development harness's command groups: the local stack, the sample sources and the demo. */
import type { RegisterCommands } from '../../src/cli/index.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerSample } from './sample.ts';
import { register as registerStack } from './stack.ts';
import { register as registerLoad } from './load.ts';
import { register as registerBenchLatency } from './bench-latency.ts';

export const harnessCommands: RegisterCommands[] = [registerStack, registerDemo, registerSample, registerLoad, registerBenchLatency];
