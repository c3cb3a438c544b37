import type { Button } from './template-content';

/** The number the node shows a button under (the buttons are one list there, not rows). */
function buttonNumber(rows: Button[][], row: number, column: number): number {
	return rows.slice(0, row).reduce((count, buttons) => count + buttons.length, 0) + column + 1;
}

/**
 * The node's name for a part of the message the backend's errors point at (`text`,
 * `buttons.0.1.text`, `variants.ru.text`), so a template error reads "Text, line 2, column 1: …".
 */
export function messageFieldLabels(buttons: Button[][]): (path: string) => string {
	return (path) => {
		const button = /^buttons\.(\d+)\.(\d+)\.text$/.exec(path);
		if (button) return `Button ${buttonNumber(buttons, Number(button[1]), Number(button[2]))}`;
		const variantButton = /^variants\.([^.]+)\.buttons\.(\d+)\.(\d+)\.text$/.exec(path);
		if (variantButton) return `Language variant "${variantButton[1]}", button ${buttonNumber(buttons, Number(variantButton[2]), Number(variantButton[3]))}`;
		const variant = /^variants\.([^.]+)\.text$/.exec(path);
		if (variant) return `Language variant "${variant[1]}"`;
		return FIELD_LABELS[path] ?? path;
	};
}

const FIELD_LABELS: Record<string, string> = {
	text: 'Text',
	template: 'Template',
	params: 'Template Parameters',
	previewFor: 'Preview For',
	quickReplies: 'Quick Replies',
	requestContact: 'Ask for Phone Number',
	sendAt: 'Send At',
	delaySeconds: 'Delay (Seconds)',
	localTime: 'Local Time',
	cancelKey: 'Cancel Key',
};
