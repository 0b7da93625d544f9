import { mount } from 'svelte';
import App from './App.svelte';
import { tauriHost } from './host';
import './app.css';

mount(App, { target: document.getElementById('app')!, props: { host: tauriHost } });
