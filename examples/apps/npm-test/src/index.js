'use strict';
module.exports = {
  ...require('./slug'), ...require('./money'), ...require('./csv'), ...require('./dates'),
  ...require('./validate'), ...require('./retry'), ...require('./queue'), ...require('./password'),
  ...require('./prices'), ...require('./cache'), ...require('./config'),
};
