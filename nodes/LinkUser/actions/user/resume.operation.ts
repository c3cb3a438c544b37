import type { INodeProperties } from 'n8n-workflow';
import { transition } from './transition';

/** Only the shared User ID and Notify User. */
export const description: INodeProperties[] = [];

export const execute = transition('resume');
