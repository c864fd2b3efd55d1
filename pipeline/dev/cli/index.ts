/** The development harness's command groups: the local stack, the sample sources, the demo, the bench and the chaos run. */
import type { RegisterCommands } from '../../src/cli/index.ts';
import { register as registerBench } from './bench.ts';
import { register as registerChaos } from './chaos.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerSample } from './sample.ts';
import { register as registerStack } from './stack.ts';
import { register as registerLoad } from './load.ts';

export const harnessCommands: RegisterCommands[] = [registerStack, registerDemo, registerSample, registerLoad, registerBench, registerChaos];
