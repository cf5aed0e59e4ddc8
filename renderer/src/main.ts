import { mount } from 'svelte';
import App from './App.svelte';
import { createClient } from './lib/api/client.ts';
import { AppState } from './lib/state/app.svelte.ts';
import './app.css';

const app = new AppState(createClient());
mount(App, { target: document.getElementById('app')!, props: { app } });
