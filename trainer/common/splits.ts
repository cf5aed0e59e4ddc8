// The three splits a labelled image can belong to (an image in none of them is unassigned).
export type Split = 'train' | 'val' | 'test';
