// A CommonJS handler module (.cjs), with callback-style handlers.
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.end('cjs');
});

exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { via: 'callback', mode: event.mode }), 10);
};

// By default the result is posted once the event loop is empty: after the timer.
exports.callbackWaits = (event, context, callback) => {
  callback(null, 'posted after the timer');
  setTimeout(() => console.log('timer done'), 300);
};

exports.callbackError = (event, context, callback) => {
  callback(new TypeError('callback failure'));
};
