// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// Combobox measures option text on a canvas; jsdom has none.
HTMLCanvasElement.prototype.getContext = () => ({
  measureText: (text) => ({ width: String(text).length * 8 }),
  font: '',
});

if (!global.ResizeObserver) {
  global.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}
