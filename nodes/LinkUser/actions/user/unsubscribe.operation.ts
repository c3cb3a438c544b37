import type { INodeProperties } from 'n8n-workflow';
import { membershipChange, membershipFields } from './topic-membership';

export const description: INodeProperties[] = membershipFields('unsubscribe');

export const execute = membershipChange('unsubscribe');
